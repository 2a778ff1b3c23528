package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
)

const envCols = `id, name, type, description, include_scaling, created_at, last_reported_at, last_changed_at, snapshots`

func scanEnv(sc interface{ Scan(...any) error }, org string) (model.Environment, error) {
	e := model.Environment{Org: org}
	var at, rep, chg int64
	err := sc.Scan(&e.ID, &e.Name, &e.Type, &e.Description, &e.IncludeScaling, &at, &rep, &chg, &e.Snapshots)
	e.CreatedAt, e.LastReportedAt, e.LastChangedAt = fromMicro(at), fromMicro(rep), fromMicro(chg)
	return e, err
}

func (db *DB) findEnv(ctx context.Context, q querier, org, name string) (model.Environment, int64, error) {
	orgID, err := db.orgID(ctx, q, org)
	if err != nil {
		return model.Environment{}, 0, err
	}
	e, err := scanEnv(q.QueryRowContext(ctx, db.q(`SELECT `+envCols+` FROM environments WHERE org_id = ? AND name = ?`), orgID, name), org)
	if errors.Is(err, sql.ErrNoRows) {
		return e, 0, model.Errorf(model.ENOTFOUND, "environment %s not found in org %s", name, org)
	}
	if err != nil {
		return e, 0, fmt.Errorf("find environment %s: %w", name, err)
	}
	return e, orgID, nil
}

// FindEnvironment implements model.Store.
func (db *DB) FindEnvironment(ctx context.Context, org, name string) (model.Environment, error) {
	e, _, err := db.findEnv(ctx, db.R, org, name)
	return e, err
}

// ListEnvironments implements model.Store.
func (db *DB) ListEnvironments(ctx context.Context, org string) ([]model.Environment, error) {
	orgID, err := db.orgID(ctx, db.R, org)
	if err != nil {
		return nil, err
	}
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT `+envCols+` FROM environments WHERE org_id = ? ORDER BY name`), orgID)
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	defer rows.Close()
	out := []model.Environment{}
	for rows.Next() {
		e, err := scanEnv(rows, org)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// PutEnvironment implements model.Store.
func (db *DB) PutEnvironment(ctx context.Context, org string, e model.Environment) (model.Environment, bool, error) {
	if err := e.Validate(); err != nil {
		return e, false, err
	}
	created := false
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		created = false // a retried attempt starts afresh
		orgID, err := db.orgID(ctx, tx, org)
		if err != nil {
			return err
		}
		var id int64
		err = tx.QueryRowContext(ctx, db.q(`SELECT id FROM environments WHERE org_id = ? AND name = ?`+db.D.ForUpdate), orgID, e.Name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			created = true
			_, err = db.insertID(ctx, tx, `INSERT INTO environments (org_id, name, type, description, include_scaling, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				orgID, e.Name, e.Type, e.Description, e.IncludeScaling, micro(nowOr(e.CreatedAt)))
			return db.raced(err)
		}
		if err != nil {
			return err
		}
		// Changing the scaling flag changes what the latest hash means;
		// clearing it makes the next report compare afresh.
		_, err = tx.ExecContext(ctx, db.q(`UPDATE environments SET type = ?, description = ?,
			latest_hash = CASE WHEN include_scaling = ? THEN latest_hash ELSE '' END, include_scaling = ? WHERE id = ?`),
			e.Type, e.Description, e.IncludeScaling, e.IncludeScaling, id)
		return err
	})
	if err != nil {
		return e, false, err
	}
	out, _, err := db.findEnv(ctx, db.W, org, e.Name)
	return out, created, err
}

func formatTimestamps(ts []int64) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = strconv.FormatInt(t, 10)
	}
	return strings.Join(parts, ",")
}

func parseTimestamps(s string) []int64 {
	if s == "" {
		return []int64{}
	}
	parts := strings.Split(s, ",")
	out := make([]int64, 0, len(parts))
	for _, p := range parts {
		if v, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, v)
		}
	}
	return out
}

type run struct {
	id   int64
	ra   model.RunningArtifact
	from int
	to   int
}

func (db *DB) queryRuns(ctx context.Context, q querier, query string, args ...any) ([]run, error) {
	rows, err := q.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("query runs: %w", err)
	}
	defer rows.Close()
	var out []run
	for rows.Next() {
		var r run
		var ts string
		if err := rows.Scan(&r.id, &r.ra.Fingerprint, &r.ra.Name, &ts, &r.from, &r.to); err != nil {
			return nil, err
		}
		r.ra.CreationTimestamps = parseTimestamps(ts)
		out = append(out, r)
	}
	return out, rows.Err()
}

const runCols = `id, fingerprint, name, timestamps, from_idx, to_idx`

// ReportSnapshot implements model.Store.
func (db *DB) ReportSnapshot(ctx context.Context, org, envName string, running []model.RunningArtifact, at time.Time) (model.SnapshotReport, error) {
	at = nowOr(at)
	for i := range running {
		fp, err := model.NormalizeFingerprint(running[i].Fingerprint)
		if err != nil {
			return model.SnapshotReport{}, err
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
		return model.SnapshotReport{}, err
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
			return model.Errorf(model.ENOTFOUND, "environment %s not found in org %s", envName, org)
		}
		if err != nil {
			return fmt.Errorf("lock environment %s: %w", envName, err)
		}
		hash := model.SnapshotHash(running, include)
		if latest > 0 && hash == latestHash {
			rep = model.SnapshotReport{Index: latest, Events: []model.Event{}}
			_, err := tx.ExecContext(ctx, db.q(`UPDATE environments SET last_reported_at = ? WHERE id = ?`), micro(at), envID)
			return err
		}
		open, err := db.queryRuns(ctx, tx, `SELECT `+runCols+` FROM runs WHERE env_id = ? AND to_idx = 0`, envID)
		if err != nil {
			return err
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
			return err
		}
		idx := latest + 1
		byFP := map[string]model.RunningArtifact{}
		instances := 0
		for _, r := range running {
			byFP[r.Fingerprint] = r
			instances += r.Instances()
		}
		for i := range evs {
			e := &evs[i]
			e.Environment, e.SnapshotIndex, e.At = envName, idx, at
			if e.Type == model.EventExited || e.Type == model.EventScaled {
				if _, err := tx.ExecContext(ctx, db.q(`UPDATE runs SET to_idx = ? WHERE id = ?`), idx, runByFP[e.Fingerprint].id); err != nil {
					return fmt.Errorf("close run: %w", err)
				}
			}
			if e.Type == model.EventStarted || e.Type == model.EventScaled {
				r := byFP[e.Fingerprint]
				if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO runs (env_id, fingerprint, name, timestamps, from_idx) VALUES (?, ?, ?, ?, ?)`),
					envID, r.Fingerprint, r.Name, formatTimestamps(r.CreationTimestamps), idx); err != nil {
					return fmt.Errorf("open run: %w", err)
				}
			}
			if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO events (org_id, env_id, idx, fingerprint, name, type, was, now, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				orgID, envID, idx, e.Fingerprint, e.ArtifactName, e.Type, e.Was, e.Now, micro(at)); err != nil {
				return fmt.Errorf("insert event: %w", err)
			}
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
	return idx, err
}

// FindSnapshot implements model.Store.
func (db *DB) FindSnapshot(ctx context.Context, org, envName string, ref model.SnapshotRef) (model.Snapshot, error) {
	env, orgID, err := db.findEnv(ctx, db.R, org, envName)
	if err != nil {
		return model.Snapshot{}, err
	}
	idx, err := db.resolveRef(ctx, env, ref)
	if err != nil {
		return model.Snapshot{}, err
	}
	s := model.Snapshot{Environment: env.Name, EnvType: env.Type, Index: idx, Artifacts: []model.SnapshotArtifact{}, Exited: []model.SnapshotArtifact{}}
	// This snapshot's start and the next one's (its end), in one query.
	if err := db.snapshotTimes(ctx, env.ID, idx, &s); err != nil {
		return s, err
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
		return s, err
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
		return s, err
	}
	if err := db.joinArtifacts(ctx, orgID, s.Exited); err != nil {
		return s, err
	}
	if err := db.joinDeployments(ctx, orgID, env.Name, s.Artifacts, s.Exited); err != nil {
		return s, err
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
			return err
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
		args := make([]any, 0, len(missing)+1)
		args = append(args, orgID)
		for _, fp := range missing {
			args = append(args, fp)
		}
		rows, err := db.R.QueryContext(ctx, db.q(`SELECT a.fingerprint, f.name, a.git_commit, a.commit_url, a.state FROM artifacts a JOIN flows f ON f.id = a.flow_id
			WHERE a.org_id = ? AND a.fingerprint IN (`+marks(len(missing))+`) ORDER BY a.created_at, a.id`), args...)
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
				return err
			}
			fresh[fp] = v // later rows (newer artifacts) win
		}
		if err := rows.Err(); err != nil {
			return err
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
		return nil, 0, err
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
			return nil, 0, err
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
		return nil, 0, err
	}
	rows.Close() // before the next query: one pooled connection at a time
	if err := db.snapshotCompliance(ctx, orgID, env.ID, max(lo, 1), hi, out); err != nil {
		return nil, 0, err
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
		return err
	}
	arts := make([]model.SnapshotArtifact, len(runs))
	for i, r := range runs {
		arts[i] = model.SnapshotArtifact{RunningArtifact: r.ra}
	}
	if err := db.joinArtifacts(ctx, orgID, arts); err != nil {
		return err
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

// ListEvents implements model.Store.
func (db *DB) ListEvents(ctx context.Context, org string, fl model.EventFilter) ([]model.Event, int, error) {
	p := fl.Normalize()
	orgID, err := db.orgID(ctx, db.R, org)
	if err != nil {
		return nil, 0, err
	}
	where := `ev.org_id = ?`
	args := []any{orgID}
	if fl.Environment != "" {
		env, _, err := db.findEnv(ctx, db.R, org, fl.Environment)
		if err != nil {
			return nil, 0, err
		}
		where = `ev.env_id = ?`
		args = []any{env.ID}
	}
	if fl.Fingerprint != "" {
		where += ` AND ev.fingerprint = ?`
		args = append(args, fl.Fingerprint)
	}
	if fl.Flow != "" {
		f, _, err := db.findFlow(ctx, db.R, org, fl.Flow)
		if err != nil {
			return nil, 0, err
		}
		where += ` AND ev.fingerprint IN (SELECT fingerprint FROM artifacts WHERE flow_id = ?)`
		args = append(args, f.ID)
	}
	if fl.Type != "" {
		where += ` AND ev.type = ?`
		args = append(args, fl.Type)
	}
	if !fl.Since.IsZero() {
		where += ` AND ev.at >= ?`
		args = append(args, micro(fl.Since))
	}
	var total int
	if err := db.R.QueryRowContext(ctx, db.q(`SELECT count(*) FROM events ev WHERE `+where), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count events: %w", err)
	}
	order := `ev.at, ev.idx, ev.fingerprint`
	if fl.Reverse {
		order = `ev.at DESC, ev.idx DESC, ev.fingerprint DESC`
	}
	// The flow of each event's fingerprint: known when filtering by flow
	// (filled in below, so no name is ever spliced into the SQL), else
	// the org's most recent artifact with it.
	flowCol := `coalesce((SELECT f.name FROM artifacts a JOIN flows f ON f.id = a.flow_id WHERE a.org_id = ev.org_id AND a.fingerprint = ev.fingerprint ORDER BY a.created_at DESC LIMIT 1), '')`
	if fl.Flow != "" {
		flowCol = `''`
	}
	rows, err := db.R.QueryContext(ctx, db.q(`SELECT ev.id, e.name, ev.idx, ev.fingerprint, ev.name, ev.type, ev.was, ev.now, ev.at, `+flowCol+`
		FROM events ev JOIN environments e ON e.id = ev.env_id WHERE `+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`), append(args, p.PerPage, p.Offset())...)
	if err != nil {
		return nil, 0, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	out := []model.Event{}
	for rows.Next() {
		var e model.Event
		var at int64
		if err := rows.Scan(&e.ID, &e.Environment, &e.SnapshotIndex, &e.Fingerprint, &e.ArtifactName, &e.Type, &e.Was, &e.Now, &at, &e.Flow); err != nil {
			return nil, 0, err
		}
		e.At = fromMicro(at)
		if fl.Flow != "" {
			e.Flow = fl.Flow
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close() // before the next query: one pooled connection at a time
	if err := db.joinEventDeployments(ctx, orgID, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}
