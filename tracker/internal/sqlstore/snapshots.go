package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

// ReportSnapshot implements model.Store.
func (db *DB) ReportSnapshot(ctx context.Context, org, envName string, running []model.RunningArtifact, at time.Time) (model.SnapshotReport, error) {
	at = nowOr(at)
	for i := range running {
		fp, err := model.NormalizeFingerprint(running[i].Fingerprint)
		if err != nil {
			return model.SnapshotReport{}, fmt.Errorf("sqlstore: report snapshot of %s: %w", envName, err)
		}
		running[i].Fingerprint = fp
	}
	sort.Slice(running, func(i, j int) bool { return running[i].Fingerprint < running[j].Fingerprint })

	// Fast path, the common case: the same set as the latest snapshot.
	// One read and one conditional update; if another reporter changed the
	// environment in between, the update matches nothing and we fall
	// through to the full transaction.
	env, _, err := db.findEnv(ctx, db.R, org, envName)
	if err != nil {
		return model.SnapshotReport{}, fmt.Errorf("sqlstore: report snapshot of %s: %w", envName, err)
	}
	hash := model.SnapshotHash(running, env.IncludeScaling)
	if env.Snapshots > 0 {
		res, err := db.W.ExecContext(ctx, db.q(`UPDATE environments SET last_reported_at = ? WHERE id = ? AND latest_hash = ? AND snapshots = ?`),
			micro(at), env.ID, hash, env.Snapshots)
		if err != nil {
			return model.SnapshotReport{}, fmt.Errorf("refresh environment %s: %w", envName, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return model.SnapshotReport{Index: env.Snapshots, Created: false, Events: []model.Event{}}, nil
		}
	}

	var rep model.SnapshotReport
	err = db.withTx(ctx, func(tx *sql.Tx) error {
		var envID, orgID int64
		var include bool
		var latest int
		var latestHash string
		err := tx.QueryRowContext(ctx, db.q(`SELECT e.id, e.org_id, e.include_scaling, e.snapshots, e.latest_hash FROM environments e JOIN orgs o ON o.id = e.org_id
			WHERE o.name = ? AND e.name = ?`+db.D.ForUpdate), org, envName).Scan(&envID, &orgID, &include, &latest, &latestHash)
		if errors.Is(err, sql.ErrNoRows) {
			return model.Errorf(model.ENOTFOUND, "Environment named '%s' does not exist for organization '%s'", envName, org)
		}
		if err != nil {
			return fmt.Errorf("lock environment %s: %w", envName, err)
		}
		hash := model.SnapshotHash(running, include)
		if latest > 0 && hash == latestHash {
			rep = model.SnapshotReport{Index: latest, Events: []model.Event{}}
			_, err := tx.ExecContext(ctx, db.q(`UPDATE environments SET last_reported_at = ? WHERE id = ?`), micro(at), envID)
			if err != nil {
				return fmt.Errorf("sqlstore: report snapshot of %s: %w", envName, err)
			}
			return nil
		}
		open, err := db.queryRuns(ctx, tx, `SELECT `+runCols+` FROM runs WHERE env_id = ? AND to_idx = 0`, envID)
		if err != nil {
			return fmt.Errorf("sqlstore: report snapshot of %s: %w", envName, err)
		}
		prev := make([]model.RunningArtifact, len(open))
		runByFP := map[string]run{}
		for i, r := range open {
			prev[i] = r.ra
			runByFP[r.ra.Fingerprint] = r
		}
		evs := model.DeriveEvents(prev, running, include)
		if latest > 0 && len(evs) == 0 {
			// Same set by another measure (e.g. scaling not counted, or a
			// hash reset after a flag change): remember the hash only.
			rep = model.SnapshotReport{Index: latest, Events: []model.Event{}}
			_, err := tx.ExecContext(ctx, db.q(`UPDATE environments SET last_reported_at = ?, latest_hash = ? WHERE id = ?`), micro(at), hash, envID)
			if err != nil {
				return fmt.Errorf("sqlstore: report snapshot of %s: %w", envName, err)
			}
			return nil
		}
		idx := latest + 1
		byFP := map[string]model.RunningArtifact{}
		instances := 0
		for _, r := range running {
			byFP[r.Fingerprint] = r
			instances += r.Instances()
		}
		// One statement per kind of write, not one per artifact: a report
		// of 50,000 artifacts is 50,000 events and runs.
		var closed []int64
		var opened, events [][]any
		for i := range evs {
			e := &evs[i]
			e.Environment, e.SnapshotIndex, e.At = envName, idx, at
			if e.Type == model.EventExited || e.Type == model.EventScaled {
				closed = append(closed, runByFP[e.Fingerprint].id)
			}
			if e.Type == model.EventStarted || e.Type == model.EventScaled {
				r := byFP[e.Fingerprint]
				opened = append(opened, []any{envID, r.Fingerprint, r.Name, formatTimestamps(r.CreationTimestamps), idx})
			}
			events = append(events, []any{orgID, envID, idx, e.Fingerprint, e.ArtifactName, e.Type, e.Was, e.Now, micro(at)})
		}
		if len(closed) > 0 {
			inIDs, idArg, err := db.in("id", "BIGINT", closed)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE runs SET to_idx = ? WHERE `+inIDs), idx, idArg); err != nil {
				return fmt.Errorf("close runs: %w", err)
			}
		}
		if err := db.insertRows(ctx, tx, `INSERT INTO runs (env_id, fingerprint, name, timestamps, from_idx) VALUES `, opened); err != nil {
			return fmt.Errorf("open runs: %w", err)
		}
		if err := db.insertRows(ctx, tx, `INSERT INTO events (org_id, env_id, idx, fingerprint, name, type, was, now, at) VALUES `, events); err != nil {
			return fmt.Errorf("insert events: %w", err)
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO snapshots (env_id, idx, created_at, hash, artifacts, instances) VALUES (?, ?, ?, ?, ?, ?)`),
			envID, idx, micro(at), hash, len(running), instances); err != nil {
			return fmt.Errorf("insert snapshot %d: %w", idx, err)
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE environments SET snapshots = ?, latest_hash = ?, last_reported_at = ?, last_changed_at = ? WHERE id = ?`),
			idx, hash, micro(at), micro(at), envID); err != nil {
			return fmt.Errorf("update environment: %w", err)
		}
		if evs == nil {
			evs = []model.Event{}
		}
		rep = model.SnapshotReport{Index: idx, Created: true, Events: evs}
		return nil
	})
	return rep, err
}

// resolveRef turns a ref into an index of env.
func (db *DB) resolveRef(ctx context.Context, env model.Environment, ref model.SnapshotRef) (int, error) {
	if ref.At.IsZero() {
		return model.ResolveIndex(env.Name, ref, env.Snapshots)
	}
	if env.Snapshots == 0 {
		return 0, model.Errorf(model.ENOTFOUND, "environment %s has no snapshots yet", env.Name)
	}
	var idx int
	err := db.R.QueryRowContext(ctx, db.q(`SELECT idx FROM snapshots WHERE env_id = ? AND created_at <= ? ORDER BY idx DESC LIMIT 1`), env.ID, micro(ref.At)).Scan(&idx)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, model.Errorf(model.ENOTFOUND, "environment %s has no snapshot at %s: its first snapshot is later", env.Name, ref.At.UTC().Format("2006-01-02T15:04:05"))
	}
	if err != nil {
		return idx, fmt.Errorf("sqlstore: resolve snapshot of %s: %w", env.Name, err)
	}
	return idx, nil
}

// FindSnapshot implements model.Store.
func (db *DB) FindSnapshot(ctx context.Context, org, envName string, ref model.SnapshotRef) (model.Snapshot, error) {
	env, orgID, err := db.findEnv(ctx, db.R, org, envName)
	if err != nil {
		return model.Snapshot{}, fmt.Errorf("sqlstore: find snapshot of %s: %w", envName, err)
	}
	idx, err := db.resolveRef(ctx, env, ref)
	if err != nil {
		return model.Snapshot{}, fmt.Errorf("sqlstore: find snapshot of %s: %w", envName, err)
	}
	s := model.Snapshot{Environment: env.Name, EnvType: env.Type, Index: idx, Artifacts: []model.SnapshotArtifact{}, Exited: []model.SnapshotArtifact{}}
	// This snapshot's start and the next one's (its end), in one query.
	if err := db.snapshotTimes(ctx, env.ID, idx, &s); err != nil {
		return s, fmt.Errorf("sqlstore: find snapshot of %s: %w", envName, err)
	}
	if s.CreatedAt.IsZero() {
		return s, fmt.Errorf("snapshot %s#%d is missing", env.Name, idx)
	}
	if idx == env.Snapshots {
		s.LastReportedAt = env.LastReportedAt
	}
	// Runs alive at idx, plus those that ended exactly at idx (to tell
	// the previous snapshot's set and the exits).
	runs, err := db.queryRuns(ctx, db.R, `SELECT `+runCols+` FROM runs WHERE env_id = ? AND from_idx <= ? AND (to_idx = 0 OR to_idx >= ?)`, env.ID, idx, idx)
	if err != nil {
		return s, fmt.Errorf("sqlstore: find snapshot of %s: %w", envName, err)
	}
	var prev []model.RunningArtifact
	for _, r := range runs {
		alive := r.to == 0 || r.to > idx
		if alive {
			s.Artifacts = append(s.Artifacts, model.SnapshotArtifact{RunningArtifact: r.ra})
		}
		if r.from < idx { // the query already holds to_idx = 0 or >= idx
			prev = append(prev, r.ra)
		}
	}
	sort.Slice(s.Artifacts, func(i, j int) bool { return s.Artifacts[i].Fingerprint < s.Artifacts[j].Fingerprint })
	exited := model.Annotate(prev, s.Artifacts)
	if exited != nil {
		s.Exited = exited
	}
	if err := db.joinArtifacts(ctx, orgID, s.Artifacts); err != nil {
		return s, fmt.Errorf("sqlstore: find snapshot of %s: %w", envName, err)
	}
	if err := db.joinArtifacts(ctx, orgID, s.Exited); err != nil {
		return s, fmt.Errorf("sqlstore: find snapshot of %s: %w", envName, err)
	}
	if err := db.joinDeployments(ctx, orgID, env.Name, s.Artifacts, s.Exited); err != nil {
		return s, fmt.Errorf("sqlstore: find snapshot of %s: %w", envName, err)
	}
	return s, nil
}

// snapshotTimes sets s.CreatedAt to snapshot idx's time and
// s.LastReportedAt to the next one's, closing its rows before returning so
// that a request never holds two pooled connections at once.
func (db *DB) snapshotTimes(ctx context.Context, envID int64, idx int, s *model.Snapshot) error {
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT idx, created_at FROM snapshots WHERE env_id = ? AND idx IN (?, ?)`), envID, idx, idx+1)
	if err != nil {
		return fmt.Errorf("find snapshot %d: %w", idx, err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var at int64
		if err := rows.Scan(&i, &at); err != nil {
			return fmt.Errorf("sqlstore: times of snapshot %d: %w", idx, err)
		}
		if i == idx {
			s.CreatedAt = fromMicro(at)
		} else {
			s.LastReportedAt = fromMicro(at)
		}
	}
	return rows.Err()
}

// joinArtifacts fills what the org knows of each fingerprint: the most
// recently recorded artifact with it decides flow, commit and compliance.
func (db *DB) joinArtifacts(ctx context.Context, orgID int64, arts []model.SnapshotArtifact) error {
	if len(arts) == 0 {
		return nil
	}
	infos := make(map[string]artInfo, len(arts))
	var missing []string
	gen := db.cache.generation()
	for _, a := range arts {
		if _, seen := infos[a.Fingerprint]; seen {
			continue
		}
		if db.D.CacheArtifacts {
			if v, ok := db.cache.get(orgID, a.Fingerprint); ok {
				infos[a.Fingerprint] = v
				continue
			}
		}
		infos[a.Fingerprint] = artInfo{}
		missing = append(missing, a.Fingerprint)
	}
	if len(missing) > 0 {
		inFPs, fpArg, err := db.in("a.fingerprint", "", missing)
		if err != nil {
			return err
		}
		rows, err := db.R.QueryContext(ctx, db.q(`SELECT a.fingerprint, f.name, a.git_commit, a.commit_url, a.state FROM artifacts a JOIN flows f ON f.id = a.flow_id
			WHERE a.org_id = ? AND `+inFPs+` ORDER BY a.created_at, a.id`), orgID, fpArg)
		if err != nil {
			return fmt.Errorf("join artifacts: %w", err)
		}
		defer rows.Close()
		fresh := make(map[string]artInfo, len(missing))
		for _, fp := range missing {
			fresh[fp] = artInfo{}
		}
		for rows.Next() {
			v := artInfo{known: true}
			var fp string
			if err := rows.Scan(&fp, &v.flow, &v.commit, &v.url, &v.state); err != nil {
				return fmt.Errorf("sqlstore: join artifacts: %w", err)
			}
			fresh[fp] = v // later rows (newer artifacts) win
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("sqlstore: join artifacts: %w", err)
		}
		for fp, v := range fresh {
			infos[fp] = v
		}
		if db.D.CacheArtifacts {
			db.cache.put(orgID, gen, fresh)
		}
	}
	for i := range arts {
		a := &arts[i]
		a.Deployments = []int{}
		if v := infos[a.Fingerprint]; v.known {
			a.Known, a.Flow, a.GitCommit, a.CommitURL, a.Compliant = true, v.flow, v.commit, v.url, v.state == model.Compliant
		}
	}
	return nil
}

// ListSnapshots implements model.Store.
func (db *DB) ListSnapshots(ctx context.Context, org, envName string, p model.Page) ([]model.SnapshotSummary, int, error) {
	env, orgID, err := db.findEnv(ctx, db.R, org, envName)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list snapshots of %s: %w", envName, err)
	}
	p = p.Normalize()
	// Newest first: the page covers indexes (hi-per+1 .. hi]; fetch one
	// more (hi+1) to know when each snapshot ended.
	hi := env.Snapshots - p.Offset()
	lo := hi - p.PerPage + 1
	out := []model.SnapshotSummary{}
	if hi < 1 {
		return out, env.Snapshots, nil
	}
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT idx, created_at, artifacts, instances FROM snapshots WHERE env_id = ? AND idx >= ? AND idx <= ? ORDER BY idx DESC`), env.ID, lo, hi+1)
	if err != nil {
		return nil, 0, fmt.Errorf("list snapshots: %w", err)
	}
	defer rows.Close()
	var next time.Time
	for rows.Next() {
		var s model.SnapshotSummary
		var at int64
		if err := rows.Scan(&s.Index, &at, &s.Artifacts, &s.Instances); err != nil {
			return nil, 0, fmt.Errorf("sqlstore: list snapshots of %s: %w", envName, err)
		}
		s.From = fromMicro(at)
		if s.Index <= hi {
			if s.Index < env.Snapshots {
				s.To = next
			}
			out = append(out, s)
		}
		next = s.From
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list snapshots of %s: %w", envName, err)
	}
	rows.Close() // before the next query: one pooled connection at a time
	if err := db.snapshotCompliance(ctx, orgID, env.ID, max(lo, 1), hi, out); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list snapshots of %s: %w", envName, err)
	}
	return out, env.Snapshots, nil
}

// snapshotCompliance sets Compliant on snapshots lo..hi of an environment
// as Snapshot.Compliant would, in two queries for the whole page: the runs
// alive anywhere in the range, and what the org knows of their
// fingerprints. A snapshot is compliant unless a run alive in it is of an
// unknown or not compliant artifact.
func (db *DB) snapshotCompliance(ctx context.Context, orgID, envID int64, lo, hi int, page []model.SnapshotSummary) error {
	if len(page) == 0 {
		return nil
	}
	runs, err := db.queryRuns(ctx, db.R, `SELECT `+runCols+` FROM runs WHERE env_id = ? AND from_idx <= ? AND (to_idx = 0 OR to_idx > ?)`, envID, hi, lo)
	if err != nil {
		return fmt.Errorf("sqlstore: compliance of snapshots %d..%d: %w", lo, hi, err)
	}
	arts := make([]model.SnapshotArtifact, len(runs))
	for i, r := range runs {
		arts[i] = model.SnapshotArtifact{RunningArtifact: r.ra}
	}
	if err := db.joinArtifacts(ctx, orgID, arts); err != nil {
		return fmt.Errorf("sqlstore: compliance of snapshots %d..%d: %w", lo, hi, err)
	}
	bad := map[int]bool{}
	for i, r := range runs {
		if arts[i].Known && arts[i].Compliant {
			continue
		}
		// Run r is alive in snapshots from..to-1 (to 0: still running).
		end := hi
		if r.to != 0 {
			end = min(end, r.to-1)
		}
		for idx := max(r.from, lo); idx <= end; idx++ {
			bad[idx] = true
		}
	}
	for i := range page {
		page[i].Compliant = !bad[page[i].Index]
	}
	return nil
}
