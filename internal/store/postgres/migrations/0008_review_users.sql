-- Access reviews cover console users: how each signs in and when they
-- last did.
ALTER TABLE access_review_items ADD COLUMN sign_in TEXT NOT NULL DEFAULT '[]';
ALTER TABLE access_review_items ADD COLUMN last_used_us BIGINT NOT NULL DEFAULT 0;
