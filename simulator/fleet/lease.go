package fleet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Leases let several fleet workers share the groups through one
// PostgreSQL store: each group is replayed by the worker holding its lease
// (a row locked with SELECT … FOR UPDATE SKIP LOCKED while it is taken or
// renewed), renewed every third of the lease time. A worker that dies
// stops renewing, and after the lease time another takes the group over
// and resumes it from the durable record (the in-flight action checked
// against the group's /latest), so no action is sent twice. Every worker
// keeps a heartbeat row; a worker holding more than its fair share
// (groups / live workers, rounded up) hands the excess back.

const leaseSchema = `CREATE TABLE IF NOT EXISTS fleet_leases (
	group_id TEXT PRIMARY KEY, holder TEXT NOT NULL, expires BIGINT NOT NULL)`

const workerSchema = `CREATE TABLE IF NOT EXISTS fleet_workers (
	worker TEXT PRIMARY KEY, expires BIGINT NOT NULL)`

// RunLeased runs the fleet as one of several workers: it starts the
// replays of the groups it wins leases for, until ctx ends. The store
// must be PostgreSQL. Start must not be called as well; RunLeased does
// the pre-start checks of the groups it takes for the first time.
func (f *Fleet) RunLeased(ctx context.Context, worker string, lease time.Duration, groups []Group) error {
	if !f.st.Postgres() {
		return errors.New("fleet: leases need the PostgreSQL store (--db postgres://...)")
	}
	if lease <= 0 {
		return fmt.Errorf("fleet: lease %s: must be positive", lease)
	}
	if worker == "" {
		return errors.New("fleet: leases need a worker name")
	}
	db := f.st.DB()
	for _, q := range []string{leaseSchema, workerSchema} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("fleet: leases: %w", err)
		}
	}
	f.mu.Lock()
	f.ctx, f.groups, f.leased, f.worker = ctx, groups, true, worker
	f.mu.Unlock()
	tick := time.NewTicker(lease / 3)
	defer tick.Stop()
	for {
		if err := f.leaseRound(ctx, db, worker, lease); err != nil && ctx.Err() == nil {
			f.cfg.Logf("lease round: %v", err)
		}
		select {
		case <-ctx.Done():
			f.releaseAll(worker)
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func (f *Fleet) leaseRound(ctx context.Context, db *sql.DB, worker string, lease time.Duration) error {
	now := time.Now()
	exp := now.Add(lease).UnixMilli()
	if _, err := db.ExecContext(ctx, `INSERT INTO fleet_workers (worker, expires) VALUES ($1, $2)
		ON CONFLICT (worker) DO UPDATE SET expires = excluded.expires`, worker, exp); err != nil {
		return err
	}
	var live int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM fleet_workers WHERE expires > $1`, now.UnixMilli()).Scan(&live); err != nil {
		return err
	}
	groups := f.Groups()
	share := (len(groups) + max(live, 1) - 1) / max(live, 1)
	held := 0
	f.mu.Lock()
	for id, r := range f.runners {
		if r.isRunning() {
			held++
		} else if !r.isFinished() {
			delete(f.runners, id) // stopped on its own (store failure): retried below
		}
	}
	f.mu.Unlock()
	for _, g := range groups {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.mu.Lock()
		_, mine := f.runners[g.ID]
		f.mu.Unlock()
		if mine && held > share {
			// Hand one group back to the others.
			f.stopGroup(g.ID)
			if _, err := db.ExecContext(ctx, `DELETE FROM fleet_leases WHERE group_id = $1 AND holder = $2`, g.ID, worker); err != nil {
				return err
			}
			held--
			f.cfg.Logf("lease: handed %s back (holding more than the share of %d)", g.ID, share)
			continue
		}
		if !mine && held >= share {
			continue
		}
		ok, err := f.tryLease(ctx, db, g.ID, worker, now, exp)
		if err != nil {
			return err
		}
		switch {
		case ok && !mine:
			// The pre-start check belongs to a group's very first start,
			// not to a takeover.
			if p, err := f.st.Progress(ctx, g.ID); err == nil && p.Done < 0 && p.InFlight < 0 {
				if err := f.st.AddCheck(ctx, PrestartCheck(ctx, g, f.cfg.Budget)); err != nil {
					f.cfg.Logf("%s: %v", g.ID, err)
				}
			}
			f.mu.Lock()
			f.startLocked(g)
			f.mu.Unlock()
			held++
			f.cfg.Logf("lease: took %s", g.ID)
		case !ok && mine:
			f.stopGroup(g.ID)
			held--
			f.cfg.Logf("lease: lost %s", g.ID)
		}
	}
	return nil
}

// tryLease takes or renews a group's lease; false when another live
// worker holds it (or is taking it right now).
func (f *Fleet) tryLease(ctx context.Context, db *sql.DB, group, worker string, now time.Time, exp int64) (bool, error) {
	if _, err := db.ExecContext(ctx, `INSERT INTO fleet_leases (group_id, holder, expires) VALUES ($1, '', 0)
		ON CONFLICT (group_id) DO NOTHING`, group); err != nil {
		return false, err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var holder string
	var expires int64
	err = tx.QueryRowContext(ctx, `SELECT holder, expires FROM fleet_leases WHERE group_id = $1 FOR UPDATE SKIP LOCKED`, group).Scan(&holder, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // locked by another worker
	}
	if err != nil {
		return false, err
	}
	if holder != worker && expires > now.UnixMilli() {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE fleet_leases SET holder = $1, expires = $2 WHERE group_id = $3`, worker, exp, group); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// stopGroup stops a group's replay on this worker (its state written).
func (f *Fleet) stopGroup(id string) {
	f.mu.Lock()
	r := f.runners[id]
	delete(f.runners, id)
	f.mu.Unlock()
	if r != nil {
		r.stop()
	}
}

// releaseAll gives up this worker's leases at a clean stop, so others
// need not wait for them to expire.
func (f *Fleet) releaseAll(worker string) {
	f.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db := f.st.DB()
	_, _ = db.ExecContext(ctx, `DELETE FROM fleet_leases WHERE holder = $1`, worker)
	_, _ = db.ExecContext(ctx, `DELETE FROM fleet_workers WHERE worker = $1`, worker)
}
