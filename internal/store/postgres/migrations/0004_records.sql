CREATE TABLE records (
    kind       TEXT    NOT NULL,
    tenant     TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    rev        BIGINT NOT NULL,
    data       BYTEA    NOT NULL,
    created_us BIGINT NOT NULL,
    updated_us BIGINT NOT NULL,
    PRIMARY KEY (kind, tenant, id)
);
CREATE INDEX records_kind_id ON records (kind, id);
