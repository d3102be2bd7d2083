CREATE TABLE payloads (
    ref        TEXT PRIMARY KEY,
    tenant     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    class      TEXT    NOT NULL,
    nonce      BLOB    NOT NULL,
    ciphertext BLOB    NOT NULL,
    created_us INTEGER NOT NULL,
    expires_us INTEGER NOT NULL
);
CREATE INDEX payloads_subject ON payloads (tenant, subject);
CREATE INDEX payloads_expiry ON payloads (expires_us) WHERE expires_us > 0;

CREATE TABLE legal_holds (
    tenant    TEXT    NOT NULL,
    subject   TEXT    NOT NULL,
    reason    TEXT    NOT NULL,
    placed_by TEXT    NOT NULL,
    placed_us INTEGER NOT NULL,
    PRIMARY KEY (tenant, subject)
);
