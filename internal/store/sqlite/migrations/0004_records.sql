CREATE TABLE records (
    kind       TEXT    NOT NULL,
    tenant     TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    rev        INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL,
    PRIMARY KEY (kind, tenant, id)
);
CREATE INDEX records_kind_id ON records (kind, id);
