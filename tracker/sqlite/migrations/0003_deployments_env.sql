-- Snapshots and environment events name the deployments of each running
-- artifact to their environment: looked up by fingerprint and environment.
CREATE INDEX deployments_fp_env ON deployments (fingerprint, environment);
