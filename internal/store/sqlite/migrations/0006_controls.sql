CREATE TABLE control_state (
    key        TEXT PRIMARY KEY,
    value      BLOB    NOT NULL,
    updated_us INTEGER NOT NULL
);

CREATE TABLE control_components (
    id          TEXT PRIMARY KEY,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    stage       TEXT    NOT NULL,
    description TEXT    NOT NULL,
    controls    TEXT    NOT NULL,
    added_us    INTEGER NOT NULL,
    added_by    TEXT    NOT NULL
);

CREATE TABLE control_evidence (
    sha256       TEXT PRIMARY KEY,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    data         BLOB    NOT NULL,
    uploaded_us  INTEGER NOT NULL,
    uploaded_by  TEXT    NOT NULL
);

CREATE TABLE access_reviews (
    id           TEXT PRIMARY KEY,
    tenant       TEXT    NOT NULL,
    started_by   TEXT    NOT NULL,
    started_us   INTEGER NOT NULL,
    due_us       INTEGER NOT NULL,
    completed_us INTEGER NOT NULL,
    completed_by TEXT    NOT NULL,
    items        INTEGER NOT NULL,
    decided      INTEGER NOT NULL,
    revoked      INTEGER NOT NULL
);
CREATE INDEX access_reviews_started ON access_reviews (started_us);

CREATE TABLE access_review_items (
    review      TEXT    NOT NULL REFERENCES access_reviews (id),
    id          TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    tenant      TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    actor_kind  TEXT    NOT NULL,
    holders     TEXT    NOT NULL,
    permissions TEXT    NOT NULL,
    decision    TEXT    NOT NULL,
    note        TEXT    NOT NULL,
    decided_by  TEXT    NOT NULL,
    decided_us  INTEGER NOT NULL,
    applied_us  INTEGER NOT NULL,
    PRIMARY KEY (review, id)
);
