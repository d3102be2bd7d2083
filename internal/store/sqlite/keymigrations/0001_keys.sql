CREATE TABLE subject_keys (
    tenant     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    wrapped    BLOB    NOT NULL,
    master_id  TEXT    NOT NULL,
    created_us INTEGER NOT NULL,
    PRIMARY KEY (tenant, subject)
);
CREATE TABLE vault_secrets (
    name      TEXT PRIMARY KEY,
    wrapped   BLOB NOT NULL,
    master_id TEXT NOT NULL
);
