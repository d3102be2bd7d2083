-- Tile hashes do not compress. Storing them out of line without trying
-- lets proofs fetch the few 32-byte hashes they need with substring()
-- instead of whole tiles.
ALTER TABLE ledger_tiles ALTER COLUMN data SET STORAGE EXTERNAL;
