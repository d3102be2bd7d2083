-- A human API key names the person it belongs to, so separation of duties
-- can tell one person's keys and console user apart from another's.
ALTER TABLE api_keys ADD COLUMN owner TEXT NOT NULL DEFAULT '';
