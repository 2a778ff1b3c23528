package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // the bulk seeder writes the store's SQLite file directly
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/minitwit-cd/kit/tracker/storage"
	"github.com/minitwit-cd/kit/tracker/web"
)

// orgShape is a seeded org: flows flows of perFlow artifacts each (flow
// "svc" is the first), envs environments, and every artifact started in
// startsPer of them within the last days, so a flow's page and metrics
// have the org's whole history around them.
type orgShape struct {
	flows, perFlow, envs, startsPer, deployments int
}

// seedOrg creates the org through the store, bulk-inserts artifacts and
// started events with plain SQL in one transaction (the store's own
// writes would take minutes for 100,000 artifacts), and returns the store
// reopened on the file.
func seedOrg(tb testing.TB, z orgShape) model.Store {
	tb.Helper()
	ctx := context.Background()
	path := filepath.Join(tb.TempDir(), "org.db")
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	st, err := storage.Open(ctx, path)
	must(err)
	_, err = st.CreateOrg(ctx, org)
	must(err)
	flow := func(i int) string {
		if i == 0 {
			return "svc"
		}
		return fmt.Sprintf("flow-%02d", i)
	}
	for i := range z.flows {
		_, _, err = st.PutFlow(ctx, org, model.Flow{Name: flow(i), Visibility: model.VisibilityPublic, Template: []string{"unit-tests"}})
		must(err)
	}
	for e := range z.envs {
		_, _, err = st.PutEnvironment(ctx, org, model.Environment{Name: fmt.Sprintf("env-%02d", e), Type: "docker", IncludeScaling: true})
		must(err)
	}
	must(st.Close())

	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	must(err)
	defer db.Close()
	var orgID int64
	must(db.QueryRow(`SELECT id FROM orgs WHERE name = ?`, org).Scan(&orgID))
	flowIDs := map[string]int64{}
	rows, err := db.Query(`SELECT name, id FROM flows`)
	must(err)
	defer rows.Close()
	for rows.Next() {
		var n string
		var id int64
		must(rows.Scan(&n, &id))
		flowIDs[n] = id
	}
	must(rows.Err())
	var envIDs []int64
	envRows, err := db.Query(`SELECT id FROM environments ORDER BY name`)
	must(err)
	defer envRows.Close()
	for envRows.Next() {
		var id int64
		must(envRows.Scan(&id))
		envIDs = append(envIDs, id)
	}
	must(envRows.Err())
	tx, err := db.Begin()
	must(err)
	insArt, err := tx.Prepare(`INSERT INTO artifacts (org_id, flow_id, fingerprint, name, git_commit, commit_time, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	must(err)
	defer insArt.Close()
	insEv, err := tx.Prepare(`INSERT INTO events (org_id, env_id, idx, fingerprint, name, type, was, now, at) VALUES (?, ?, ?, ?, ?, 'started', 0, 1, ?)`)
	must(err)
	defer insEv.Close()
	insDep, err := tx.Prepare(`INSERT INTO deployments (flow_id, number, fingerprint, artifact_name, git_commit, environment, status, created_at, status_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	must(err)
	defer insDep.Close()
	span := 20 * 24 * time.Hour
	n := z.flows * z.perFlow
	for i := range n {
		f := flow(i % z.flows)
		fpi := fp(fmt.Sprint("org artifact ", i))
		created := now.Add(-span + time.Duration(i)*span/time.Duration(n))
		state := model.Compliant
		if i%3 == 0 {
			state = model.Incomplete
		}
		_, err := insArt.Exec(orgID, flowIDs[f], fpi, fmt.Sprintf("%s:%d", f, i), fmt.Sprintf("%040x", i+1), created.Add(-time.Hour).UnixMicro(), state, created.UnixMicro())
		must(err)
		for k := range z.startsPer {
			e := (i/z.flows + k*7) % len(envIDs)
			_, err := insEv.Exec(orgID, envIDs[e], i+1, fpi, fmt.Sprintf("%s:%d", f, i), created.Add(time.Duration(k+1)*time.Minute).UnixMicro())
			must(err)
		}
		if f == "svc" && i/z.flows < z.deployments {
			num := i/z.flows + 1
			status := "succeeded"
			if num%10 == 0 {
				status = "failed"
			}
			_, err := insDep.Exec(flowIDs[f], num, fpi, f, fmt.Sprintf("%040x", i+1), fmt.Sprintf("env-%02d", (i/z.flows)%len(envIDs)), status, created.UnixMicro(), created.UnixMicro())
			must(err)
		}
	}
	must(tx.Commit())
	_, err = db.Exec(`ANALYZE`)
	must(err)
	st, err = storage.Open(ctx, path)
	must(err)
	tb.Cleanup(func() { st.Close() })
	return st
}

// bigOrg is the scale: 100,000 artifacts in the flow's org (10
// flows of 10,000), 200,000 started events over 20 environments.
var bigOrg = orgShape{flows: 10, perFlow: 10000, envs: 20, startsPer: 2, deployments: 200}

// BenchmarkFlowPage100k renders flow svc's page (25 artifacts, DORA table
// and charts) in an org of 100,000 artifacts.
func BenchmarkFlowPage100k(b *testing.B) {
	st := seedOrg(b, bigOrg)
	benchPage(b, web.New(st, web.Config{Now: func() time.Time { return now }}), "/ui/cyber-dojo/flows/svc")
}

// BenchmarkFlowDORA100k computes flow svc's DORA metrics (what `tracker
// get flow --metrics` asks the server for) in an org of 100,000 artifacts.
func BenchmarkFlowDORA100k(b *testing.B) {
	st := seedOrg(b, bigOrg)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m, err := model.FlowDORA(ctx, st, org, "svc", now, 30)
		if err != nil || len(m) != bigOrg.envs || m[0].LeadTimes == 0 {
			b.Fatalf("FlowDORA = %d rows, %v", len(m), err)
		}
	}
}

// countingStore counts the store calls a request makes.
type countingStore struct {
	model.Store
	calls atomic.Int64
}

func (c *countingStore) FindFlow(ctx context.Context, org, name string) (model.Flow, error) {
	c.calls.Add(1)
	return c.Store.FindFlow(ctx, org, name)
}

func (c *countingStore) ListArtifacts(ctx context.Context, org string, f model.ArtifactFilter) ([]model.Artifact, int, error) {
	c.calls.Add(1)
	return c.Store.ListArtifacts(ctx, org, f)
}

func (c *countingStore) ListEvidence(ctx context.Context, org string, f model.EvidenceFilter) ([]model.Evidence, error) {
	c.calls.Add(1)
	return c.Store.ListEvidence(ctx, org, f)
}

func (c *countingStore) ListDeployments(ctx context.Context, org string, f model.DeploymentFilter) ([]model.Deployment, error) {
	c.calls.Add(1)
	return c.Store.ListDeployments(ctx, org, f)
}

func (c *countingStore) ListEvents(ctx context.Context, org string, f model.EventFilter) ([]model.Event, int, error) {
	c.calls.Add(1)
	return c.Store.ListEvents(ctx, org, f)
}

func (c *countingStore) FlowStarts(ctx context.Context, org, flow string, from, to time.Time) ([]model.FlowStart, error) {
	c.calls.Add(1)
	return c.Store.FlowStarts(ctx, org, flow, from, to)
}

func (c *countingStore) FindEnvironment(ctx context.Context, org, name string) (model.Environment, error) {
	c.calls.Add(1)
	return c.Store.FindEnvironment(ctx, org, name)
}

// TestFlowPageQueriesConstant: the flow page and the flow's metrics ask
// the store the same number of times whether the flow has 30 artifacts or
// 3,000 (more than one page of any list) with thousands of events.
func TestFlowPageQueriesConstant(t *testing.T) {
	count := func(z orgShape) (page, dora int64) {
		cs := &countingStore{Store: seedOrg(t, z)}
		h := web.New(cs, web.Config{Now: func() time.Time { return now }})
		getPage(t, h, "/ui/cyber-dojo/flows/svc", http.StatusOK)
		page = cs.calls.Swap(0)
		m, err := model.FlowDORA(context.Background(), cs, org, "svc", now, 30)
		if err != nil || len(m) == 0 {
			t.Fatalf("FlowDORA = %v, %v", m, err)
		}
		return page, cs.calls.Load()
	}
	smallPage, smallDORA := count(orgShape{flows: 2, perFlow: 30, envs: 4, startsPer: 2, deployments: 5})
	bigPage, bigDORA := count(orgShape{flows: 2, perFlow: 3000, envs: 4, startsPer: 2, deployments: 5})
	if smallPage != bigPage || smallDORA != bigDORA {
		t.Fatalf("store calls grow with the flow: page %d -> %d, metrics %d -> %d", smallPage, bigPage, smallDORA, bigDORA)
	}
}

// getPage serves path and checks the status.
func getPage(t *testing.T, h http.Handler, path string, want int) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != want {
		t.Fatalf("GET %s = %d, want %d: %.300s", path, rec.Code, want, rec.Body)
	}
}
