CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    tenant      TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    actor_kind  TEXT    NOT NULL,
    models      TEXT    NOT NULL,
    limits      TEXT    NOT NULL,
    hash        BLOB    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_us  INTEGER NOT NULL,
    expires_us  INTEGER NOT NULL,
    revoked_us  INTEGER NOT NULL,
    replaced_by TEXT    NOT NULL
);
CREATE INDEX api_keys_tenant ON api_keys (tenant);
