-- Times are Unix microseconds (INTEGER) so both SQL dialects share queries.
CREATE TABLE orgs (
  id         BIGSERIAL PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL
);
CREATE TABLE tokens (
  hash       TEXT PRIMARY KEY,
  org_id     BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL
);
CREATE TABLE flows (
  id          BIGSERIAL PRIMARY KEY,
  org_id      BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  visibility  TEXT NOT NULL DEFAULT 'private',
  template    TEXT NOT NULL DEFAULT '[]',
  created_at  BIGINT NOT NULL,
  UNIQUE (org_id, name)
);
CREATE TABLE trails (
  id          BIGSERIAL PRIMARY KEY,
  flow_id     BIGINT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  git_commit  TEXT COLLATE "C" NOT NULL DEFAULT '',
  created_at  BIGINT NOT NULL,
  UNIQUE (flow_id, name)
);
CREATE TABLE artifacts (
  id          BIGSERIAL PRIMARY KEY,
  org_id      BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  flow_id     BIGINT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
  fingerprint TEXT COLLATE "C" NOT NULL,
  name        TEXT NOT NULL,
  git_commit  TEXT COLLATE "C" NOT NULL,
  commit_url  TEXT NOT NULL DEFAULT '',
  build_url   TEXT NOT NULL DEFAULT '',
  repo_url    TEXT NOT NULL DEFAULT '',
  commit_time BIGINT NOT NULL DEFAULT 0,
  trail       TEXT NOT NULL DEFAULT '',
  state       TEXT NOT NULL DEFAULT 'COMPLIANT',
  created_at  BIGINT NOT NULL,
  UNIQUE (flow_id, fingerprint)
);
CREATE INDEX artifacts_org_fp ON artifacts (org_id, fingerprint);
CREATE INDEX artifacts_flow_commit ON artifacts (flow_id, git_commit);
CREATE INDEX artifacts_org_created ON artifacts (org_id, created_at);
CREATE INDEX artifacts_flow_created ON artifacts (flow_id, created_at);
CREATE TABLE evidence (
  id          BIGSERIAL PRIMARY KEY,
  flow_id     BIGINT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
  fingerprint TEXT COLLATE "C" NOT NULL DEFAULT '',
  trail       TEXT NOT NULL DEFAULT '',
  name        TEXT NOT NULL,
  type        TEXT NOT NULL,
  compliant   BOOLEAN NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  data        TEXT NOT NULL DEFAULT '',
  created_at  BIGINT NOT NULL
);
CREATE INDEX evidence_flow_fp ON evidence (flow_id, fingerprint);
CREATE INDEX evidence_flow_trail ON evidence (flow_id, trail);
CREATE TABLE evidence_files (
  id          BIGSERIAL PRIMARY KEY,
  evidence_id BIGINT NOT NULL REFERENCES evidence(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  content     BYTEA NOT NULL
);
CREATE INDEX evidence_files_evidence ON evidence_files (evidence_id);
CREATE TABLE environments (
  id               BIGSERIAL PRIMARY KEY,
  org_id           BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name             TEXT NOT NULL,
  type             TEXT NOT NULL,
  description      TEXT NOT NULL DEFAULT '',
  include_scaling  BOOLEAN NOT NULL DEFAULT TRUE,
  created_at       BIGINT NOT NULL,
  last_reported_at BIGINT NOT NULL DEFAULT 0,
  last_changed_at  BIGINT NOT NULL DEFAULT 0,
  snapshots        BIGINT NOT NULL DEFAULT 0,
  latest_hash      TEXT NOT NULL DEFAULT '',
  UNIQUE (org_id, name)
);
CREATE TABLE deployments (
  id            BIGSERIAL PRIMARY KEY,
  flow_id       BIGINT NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
  number        BIGINT NOT NULL,
  fingerprint   TEXT NOT NULL,
  artifact_name TEXT NOT NULL DEFAULT '',
  git_commit    TEXT COLLATE "C" NOT NULL DEFAULT '',
  environment   TEXT NOT NULL,
  description   TEXT NOT NULL DEFAULT '',
  build_url     TEXT NOT NULL DEFAULT '',
  approved      BOOLEAN NOT NULL DEFAULT FALSE,
  status        TEXT NOT NULL DEFAULT 'succeeded',
  created_at    BIGINT NOT NULL,
  status_at     BIGINT NOT NULL,
  UNIQUE (flow_id, number)
);
CREATE INDEX deployments_flow_fp ON deployments (flow_id, fingerprint);
CREATE TABLE snapshots (
  env_id     BIGINT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  idx        BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  hash       TEXT NOT NULL,
  artifacts  BIGINT NOT NULL,
  instances  BIGINT NOT NULL,
  PRIMARY KEY (env_id, idx)
);
CREATE INDEX snapshots_env_time ON snapshots (env_id, created_at);
-- A run is one fingerprint running with one instance count from snapshot
-- from_idx up to (not including) to_idx; to_idx 0 means still running.
-- Storing runs rather than full copies keeps storage proportional to
-- changes, not to snapshots × artifacts.
CREATE TABLE runs (
  id          BIGSERIAL PRIMARY KEY,
  env_id      BIGINT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  fingerprint TEXT COLLATE "C" NOT NULL,
  name        TEXT NOT NULL,
  timestamps  TEXT NOT NULL,
  from_idx    BIGINT NOT NULL,
  to_idx      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX runs_env_from ON runs (env_id, from_idx);
CREATE INDEX runs_env_to ON runs (env_id, to_idx);
CREATE TABLE events (
  id          BIGSERIAL PRIMARY KEY,
  org_id      BIGINT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  env_id      BIGINT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  idx         BIGINT NOT NULL,
  fingerprint TEXT COLLATE "C" NOT NULL,
  name        TEXT NOT NULL,
  type        TEXT NOT NULL,
  was         BIGINT NOT NULL,
  now         BIGINT NOT NULL,
  at          BIGINT NOT NULL
);
CREATE INDEX events_org_fp ON events (org_id, fingerprint, at);
CREATE INDEX events_env_idx ON events (env_id, idx);
