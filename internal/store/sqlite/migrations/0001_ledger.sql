CREATE TABLE ledger_entries (
    idx     INTEGER PRIMARY KEY,
    type    TEXT    NOT NULL,
    tenant  TEXT    NOT NULL,
    time_us INTEGER NOT NULL,
    data    BLOB    NOT NULL
);
CREATE INDEX ledger_entries_type ON ledger_entries (type, idx);
CREATE INDEX ledger_entries_tenant ON ledger_entries (tenant, idx);
CREATE INDEX ledger_entries_time ON ledger_entries (time_us);

CREATE TABLE ledger_subjects (
    kind TEXT    NOT NULL,
    id   TEXT    NOT NULL,
    idx  INTEGER NOT NULL,
    PRIMARY KEY (kind, id, idx)
) WITHOUT ROWID;

CREATE TABLE ledger_tiles (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    width INTEGER NOT NULL,
    data  BLOB    NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE ledger_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL,
    root BLOB    NOT NULL
);
INSERT INTO ledger_head (id, size, root) VALUES (1, 0, x'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');

CREATE TABLE ledger_checkpoints (
    size       INTEGER PRIMARY KEY,
    root       BLOB    NOT NULL,
    note       BLOB    NOT NULL,
    created_us INTEGER NOT NULL
);
