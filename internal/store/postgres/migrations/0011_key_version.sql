-- A counter that every change to api_keys bumps, so a replica that caches
-- keys sees a change made by any replica or process with one cheap read.
CREATE TABLE api_keys_version (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);
INSERT INTO api_keys_version (id, n) VALUES (1, 0);
CREATE FUNCTION api_keys_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE api_keys_version SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER api_keys_version_bump AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION api_keys_version_bump();
