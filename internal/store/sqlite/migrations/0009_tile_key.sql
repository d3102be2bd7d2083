-- Every proof looks a tile up by (level, idx). Keying the table by one
-- integer, level << 40 | idx, makes that lookup a single B-tree descent
-- instead of a search of the primary-key index followed by one of the
-- table. level and idx stay as columns for people reading the database.
CREATE TABLE ledger_tiles_keyed (
    key   INTEGER PRIMARY KEY,
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    width INTEGER NOT NULL,
    data  BLOB    NOT NULL
);
INSERT INTO ledger_tiles_keyed (key, level, idx, width, data)
    SELECT (level << 40) | idx, level, idx, width, data FROM ledger_tiles;
DROP TABLE ledger_tiles;
ALTER TABLE ledger_tiles_keyed RENAME TO ledger_tiles;
