-- Kosli compatibility (issue 7): a logical environment's included
-- environments, a trail's commit and CI context as its begin trail sent
-- them, the template reference name an artifact was attested under (what
-- target_artifacts and --name ARTIFACT.ATTESTATION bind to), and custom
-- attestation types (a JSON schema and jq rules).
ALTER TABLE environments ADD COLUMN included TEXT NOT NULL DEFAULT '';
ALTER TABLE trails ADD COLUMN user_data TEXT NOT NULL DEFAULT '';
ALTER TABLE trails ADD COLUMN git_commit_info TEXT NOT NULL DEFAULT '';
ALTER TABLE trails ADD COLUMN repo_info TEXT NOT NULL DEFAULT '';
ALTER TABLE trails ADD COLUMN external_urls TEXT NOT NULL DEFAULT '';
ALTER TABLE trails ADD COLUMN origin_url TEXT NOT NULL DEFAULT '';
ALTER TABLE artifacts ADD COLUMN template_name TEXT NOT NULL DEFAULT '';
CREATE INDEX artifacts_flow_trail ON artifacts (flow_id, trail);
CREATE TABLE attestation_types (
  id          INTEGER PRIMARY KEY,
  org_id      INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  schema      TEXT NOT NULL DEFAULT '',
  rules       TEXT NOT NULL DEFAULT '[]',
  created_at  INTEGER NOT NULL,
  UNIQUE (org_id, name)
);
