CREATE TABLE ledger_entries (
    idx     BIGINT PRIMARY KEY,
    type    TEXT   NOT NULL,
    tenant  TEXT   NOT NULL,
    time_us BIGINT NOT NULL,
    data    BYTEA  NOT NULL
);
CREATE INDEX ledger_entries_type ON ledger_entries (type, idx);
CREATE INDEX ledger_entries_tenant ON ledger_entries (tenant, idx);
CREATE INDEX ledger_entries_time ON ledger_entries (time_us);

CREATE TABLE ledger_subjects (
    kind TEXT   NOT NULL,
    id   TEXT   NOT NULL,
    idx  BIGINT NOT NULL,
    PRIMARY KEY (kind, id, idx)
);

CREATE TABLE ledger_tiles (
    level BIGINT  NOT NULL,
    idx   BIGINT  NOT NULL,
    width INTEGER NOT NULL,
    data  BYTEA   NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE ledger_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    size BIGINT  NOT NULL,
    root BYTEA   NOT NULL
);
INSERT INTO ledger_head (id, size, root) VALUES (1, 0, '\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');

CREATE TABLE ledger_checkpoints (
    size       BIGINT PRIMARY KEY,
    root       BYTEA  NOT NULL,
    note       BYTEA  NOT NULL,
    created_us BIGINT NOT NULL
);
