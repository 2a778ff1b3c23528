-- A user's session generation: sign-out increments it, which ends every
-- session cookie issued before (they carry the old value).
ALTER TABLE "user" ADD COLUMN session_gen BIGINT NOT NULL DEFAULT 0;
