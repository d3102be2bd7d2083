CREATE TABLE subject_keys (
    tenant     TEXT   NOT NULL,
    subject    TEXT   NOT NULL,
    wrapped    BYTEA  NOT NULL,
    master_id  TEXT   NOT NULL,
    created_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, subject)
);
CREATE TABLE vault_secrets (
    name      TEXT PRIMARY KEY,
    wrapped   BYTEA NOT NULL,
    master_id TEXT  NOT NULL
);
CREATE TABLE payloads (
    ref        TEXT PRIMARY KEY,
    tenant     TEXT   NOT NULL,
    subject    TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    class      TEXT   NOT NULL,
    nonce      BYTEA  NOT NULL,
    ciphertext BYTEA  NOT NULL,
    created_us BIGINT NOT NULL,
    expires_us BIGINT NOT NULL
);
CREATE INDEX payloads_subject ON payloads (tenant, subject);
CREATE INDEX payloads_expiry ON payloads (expires_us) WHERE expires_us > 0;
CREATE TABLE legal_holds (
    tenant    TEXT   NOT NULL,
    subject   TEXT   NOT NULL,
    reason    TEXT   NOT NULL,
    placed_by TEXT   NOT NULL,
    placed_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, subject)
);
