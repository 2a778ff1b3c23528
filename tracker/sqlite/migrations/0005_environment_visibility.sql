-- Environments are private unless public, as flows are: a public one may
-- be read anonymously (its public flows' artifacts only).
ALTER TABLE environments ADD COLUMN visibility TEXT NOT NULL DEFAULT 'private';
