CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    tenant      TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    actor_kind  TEXT    NOT NULL,
    models      TEXT    NOT NULL,
    limits      TEXT    NOT NULL,
    hash        BYTEA    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_us  BIGINT NOT NULL,
    expires_us  BIGINT NOT NULL,
    revoked_us  BIGINT NOT NULL,
    replaced_by TEXT    NOT NULL
);
CREATE INDEX api_keys_tenant ON api_keys (tenant);
