package main

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// sizes is the shape of the seeded data.
type sizes struct {
	Flows, Artifacts, Envs, Events int
	// BigEnvs run BigSize artifacts each; the others run SmallSize.
	BigEnvs, BigSize, SmallSize int
}

// isTerminal reports whether w is a terminal, where a progress bar helps.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func fp(i int) string {
	s := sha256.Sum256([]byte("artifact-" + strconv.Itoa(i)))
	return hex.EncodeToString(s[:])
}

func commit(i int) string {
	s := sha1.Sum([]byte("commit-" + strconv.Itoa(i)))
	return hex.EncodeToString(s[:])
}

func flowName(i int) string { return fmt.Sprintf("flow-%03d", i) }
func envName(i int) string  { return fmt.Sprintf("env-%04d", i) }

// artifactFlow is the flow artifact i belongs to.
func artifactFlow(i int, z sizes) int { return i % z.Flows }

// envPlan says what env e runs: its size and, for slot s after r
// replacements, which artifact. Replacement k (from snapshot 2 on) exits
// the artifact in slot k%size and starts a fresh one.
type envPlan struct {
	e, size, snapshots int
}

func plan(e int, z sizes) envPlan {
	size := z.SmallSize
	if e < z.BigEnvs {
		size = z.BigSize
	}
	perEnv := z.Events / z.Envs
	repl := max(0, (perEnv-size)/2)
	return envPlan{e: e, size: size, snapshots: 1 + repl}
}

// artifactAt is the artifact index in slot s after r replacements.
func (p envPlan) artifactAt(s, r int, z sizes) int {
	// Generation of slot s: how many replacements hit it so far. The
	// index is unique within the environment (gen*size+s never repeats).
	gen := 0
	if r > s {
		gen = (r-s-1)/p.size + 1
	}
	return (p.e*1009 + gen*p.size + s) % z.Artifacts
}

// instance is the running artifact in slot s after r replacements.
func (p envPlan) instance(s, r int, z sizes) model.RunningArtifact {
	a := p.artifactAt(s, r, z)
	return model.RunningArtifact{Fingerprint: fp(a), Name: fmt.Sprintf("registry/app-%d:%s", a, commit(a)[:7]), CreationTimestamps: []int64{1_700_000_000 + int64(a)}}
}

// running is env's running set after r replacements (one instance each).
func (p envPlan) running(r int, z sizes) []model.RunningArtifact {
	out := make([]model.RunningArtifact, p.size)
	for s := range out {
		out[s] = p.instance(s, r, z)
	}
	return out
}

// seed bulk-loads org "bench" into the migrated SQLite file at path with
// plain INSERTs in one transaction (the store's own methods would work
// but take far longer for a million events).
func seed(ctx context.Context, db *sql.DB, orgID int64, z sizes, now time.Time, progress io.Writer) error {
	total := z.Flows + z.Artifacts + z.Envs
	bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(progress), progressbar.OptionSetDescription("seeding"),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish(),
		progressbar.OptionSetVisibility(isTerminal(progress)))
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var stmts []*sql.Stmt
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	// prep prepares q once and returns a function executing it.
	prep := func(q string) func(ctx context.Context, args ...any) (sql.Result, error) {
		st, perr := tx.PrepareContext(ctx, q) //nolint:sqlclosecheck // closed by the deferred loop above
		if perr != nil {
			err = errors.Join(err, perr)
			return nil
		}
		stmts = append(stmts, st)
		return st.ExecContext
	}
	insFlow := prep(`INSERT INTO flows (id, org_id, name, description, visibility, template, created_at) VALUES (?, ?, ?, ?, 'public', '["unit-tests"]', ?)`)
	insArt := prep(`INSERT INTO artifacts (org_id, flow_id, fingerprint, name, git_commit, commit_url, build_url, repo_url, commit_time, trail, state, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?, 'COMPLIANT', ?)`)
	insEv := prep(`INSERT INTO evidence (flow_id, fingerprint, trail, name, type, compliant, description, data, created_at) VALUES (?, ?, '', 'unit-tests', 'junit', 1, '', '', ?)`)
	insDep := prep(`INSERT INTO deployments (flow_id, number, fingerprint, artifact_name, git_commit, environment, status, created_at, status_at) VALUES (?, ?, ?, ?, ?, ?, 'succeeded', ?, ?)`)
	insEnv := prep(`INSERT INTO environments (id, org_id, name, type, description, include_scaling, created_at, last_reported_at, last_changed_at, snapshots, latest_hash)
		VALUES (?, ?, ?, 'docker', '', 1, ?, ?, ?, ?, ?)`)
	insSnap := prep(`INSERT INTO snapshots (env_id, idx, created_at, hash, artifacts, instances) VALUES (?, ?, ?, '', ?, ?)`)
	insRun := prep(`INSERT INTO runs (env_id, fingerprint, name, timestamps, from_idx, to_idx) VALUES (?, ?, ?, ?, ?, ?)`)
	insEvent := prep(`INSERT INTO events (org_id, env_id, idx, fingerprint, name, type, was, now, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	us := func(t time.Time) int64 { return t.UnixMicro() }
	start := now.Add(-30 * 24 * time.Hour)
	for f := 0; f < z.Flows; f++ {
		if _, err := insFlow(ctx, f+1, orgID, flowName(f), "bench flow", us(start)); err != nil {
			return fmt.Errorf("flow: %w", err)
		}
		_ = bar.Add(1)
	}
	deps := make([]int, z.Flows)
	for a := 0; a < z.Artifacts; a++ {
		f := artifactFlow(a, z)
		c := commit(a)
		at := start.Add(time.Duration(a) * time.Second)
		if _, err := insArt(ctx, orgID, f+1, fp(a), fmt.Sprintf("registry/app-%d:%s", a, c[:7]), c,
			"https://git.example/commit/"+c, "https://ci.example/"+strconv.Itoa(a), us(at.Add(-time.Hour)), c[:7], us(at)); err != nil {
			return fmt.Errorf("artifact: %w", err)
		}
		if _, err := insEv(ctx, f+1, fp(a), us(at.Add(time.Minute))); err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
		deps[f]++
		if _, err := insDep(ctx, f+1, deps[f], fp(a), "app", c, envName(a%z.Envs), us(at.Add(2*time.Minute)), us(at.Add(2*time.Minute))); err != nil {
			return fmt.Errorf("deployment: %w", err)
		}
		_ = bar.Add(1)
	}
	for e := 0; e < z.Envs; e++ {
		p := plan(e, z)
		envID := e + 1
		snapAt := func(idx int) time.Time { return now.Add(-time.Duration(p.snapshots-idx+1) * time.Minute) }
		hash := model.SnapshotHash(p.running(p.snapshots-1, z), true)
		if _, err := insEnv(ctx, envID, orgID, envName(e), us(start), us(snapAt(p.snapshots)), us(snapAt(p.snapshots)), p.snapshots, hash); err != nil {
			return fmt.Errorf("environment: %w", err)
		}
		// Snapshot 1 starts every slot.
		cur := p.running(0, z)
		openRun := map[int]int{} // slot -> from idx
		for s, r := range cur {
			if _, err := insEvent(ctx, orgID, envID, 1, r.Fingerprint, r.Name, model.EventStarted, 0, 1, us(snapAt(1))); err != nil {
				return fmt.Errorf("event: %w", err)
			}
			openRun[s] = 1
		}
		if _, err := insSnap(ctx, envID, 1, us(snapAt(1)), p.size, p.size); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		for r := 1; r < p.snapshots; r++ {
			idx := r + 1
			s := (r - 1) % p.size
			old := cur[s]
			if _, err := insRun(ctx, envID, old.Fingerprint, old.Name, strconv.FormatInt(old.CreationTimestamps[0], 10), openRun[s], idx); err != nil {
				return fmt.Errorf("run: %w", err)
			}
			next := p.instance(s, r, z)
			cur[s] = next
			openRun[s] = idx
			if _, err := insEvent(ctx, orgID, envID, idx, old.Fingerprint, old.Name, model.EventExited, 1, 0, us(snapAt(idx))); err != nil {
				return fmt.Errorf("event: %w", err)
			}
			if _, err := insEvent(ctx, orgID, envID, idx, next.Fingerprint, next.Name, model.EventStarted, 0, 1, us(snapAt(idx))); err != nil {
				return fmt.Errorf("event: %w", err)
			}
			if _, err := insSnap(ctx, envID, idx, us(snapAt(idx)), p.size, p.size); err != nil {
				return fmt.Errorf("snapshot: %w", err)
			}
		}
		for s, r := range cur {
			if _, err := insRun(ctx, envID, r.Fingerprint, r.Name, strconv.FormatInt(r.CreationTimestamps[0], 10), openRun[s], 0); err != nil {
				return fmt.Errorf("run: %w", err)
			}
		}
		if h := model.SnapshotHash(cur, true); h != hash {
			return fmt.Errorf("seed bug: environment %s ends with a different set than planned", envName(e))
		}
		_ = bar.Add(1)
	}
	_ = bar.Finish()
	return tx.Commit()
}
