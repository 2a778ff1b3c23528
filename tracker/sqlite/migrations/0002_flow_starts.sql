-- A flow's first starts per environment (model.Store.FlowStarts) join the
-- flow's artifacts to their started events by fingerprint; with the type
-- in the key the join reads only started events, in time order.
CREATE INDEX events_org_fp_type ON events (org_id, fingerprint, type, at);
