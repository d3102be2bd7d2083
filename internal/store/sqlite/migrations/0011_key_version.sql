-- A counter that every change to api_keys bumps, so a server that caches
-- keys sees a change made by any process (attest keys revoke beside it)
-- with one cheap read.
CREATE TABLE api_keys_version (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT INTO api_keys_version (id, n) VALUES (1, 0);
CREATE TRIGGER api_keys_version_insert AFTER INSERT ON api_keys BEGIN UPDATE api_keys_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER api_keys_version_update AFTER UPDATE ON api_keys BEGIN UPDATE api_keys_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER api_keys_version_delete AFTER DELETE ON api_keys BEGIN UPDATE api_keys_version SET n = n + 1 WHERE id = 1; END;
