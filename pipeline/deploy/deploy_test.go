package deploy_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/pipeline/deploy"
)

// TestBlueGreen deploys A, then B, rolls back to A and scales A from 1 to
// 3 replicas, each under 50 req/s on nginx: not one request may fail.
func TestBlueGreen(t *testing.T) {
	e := newEnv(t, "prod", commitA, commitB)
	resA := e.deploy(commitA)
	if resA.Colour != deploy.Blue || resA.Previous != nil {
		t.Errorf("first deploy: colour %s, previous %v; want blue, none", resA.Colour, resA.Previous)
	}
	e.wantServing(commitA)

	// Under the web UI's reads (vegeta) and the simulator API's writes
	// (the real simulator), each at 50 req/s.
	sim := e.startSimulator(t, 50)
	l := e.startLoad(50)
	deployStart := time.Now()
	resB := e.deploy(commitB)
	deployEnd := time.Now()
	total, failures := l.stop()
	rep := sim.stop(t)
	t.Logf("A→B under load: new version serving after %s (total %s); %d requests, %d failed", resB.Timings.Serving, resB.Timings.Total, total, len(failures))
	if len(failures) > 0 || total == 0 {
		t.Errorf("A→B at 50 req/s: %d of %d requests failed: %q", len(failures), total, failures)
	}
	if rep.Errors != 0 || rep.Load == nil || rep.Load.Total == 0 || rep.Load.Errors != 0 {
		t.Errorf("the simulator during A→B: replay errors %d, load %+v; want a load with no errors\n%s", rep.Errors, rep.Load, sim.out.String())
	} else {
		start, serr := time.Parse(time.RFC3339Nano, rep.Load.Start)
		end, eerr := time.Parse(time.RFC3339Nano, rep.Load.End)
		// End is the last answer: at 50/s the next request was due within
		// 20 ms of the deploy's end, when the run was stopped.
		if serr != nil || eerr != nil || !start.Before(deployStart) || end.Before(deployEnd.Add(-time.Second/50)) {
			t.Errorf("the simulator's load ran %s to %s (%v %v), want it to span the deploy, %s to %s", rep.Load.Start, rep.Load.End, serr, eerr,
				deployStart.Format(time.RFC3339Nano), deployEnd.Format(time.RFC3339Nano))
		}
		t.Logf("the simulator during A→B: %d writes, %d failed", rep.Load.Total, rep.Load.Errors)
	}
	if resB.Colour != deploy.Green || resB.Previous == nil || resB.Previous.Commit != commitA {
		t.Errorf("second deploy: colour %s, previous %+v; want green after A", resB.Colour, resB.Previous)
	}
	e.wantServing(commitB)
	if got, want := e.containers(), []string{"minitwit-blue/1 exited", "minitwit-green/1 running"}; !slices.Equal(got, want) {
		t.Errorf("containers after A→B: %q, want %q (blue stopped, kept for a rollback)", got, want)
	}
	if st := e.state(); len(st.Releases) != 2 || st.Current().Commit != commitB || st.Env != "prod" {
		t.Errorf("history after A→B: %+v", st)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l = e.startLoad(50)
	rb, err := deploy.Rollback(ctx, e.target, deploy.Options{Env: "prod", Progress: e.events.add})
	total, failures = l.stop()
	if err != nil {
		t.Fatalf("rollback: %v\n%s", err, e.events)
	}
	t.Logf("rollback under load: old version serving after %s (total %s); %d requests, %d failed", rb.Timings.Serving, rb.Timings.Total, total, len(failures))
	if len(failures) > 0 {
		t.Errorf("rollback at 50 req/s: %d of %d requests failed: %q", len(failures), total, failures)
	}
	if rb.Status != deploy.StatusSucceeded || rb.Commit != commitA || rb.Colour != deploy.Blue {
		t.Errorf("rollback result %+v", rb)
	}
	e.wantServing(commitA)
	if !strings.Contains(e.events.String(), "restarted the stopped blue containers") {
		t.Errorf("the rollback did not restart blue's stopped containers:\n%s", e.events)
	}
	if st := e.state(); len(st.Releases) != 1 || st.Current().Commit != commitA {
		t.Errorf("history after the rollback: %+v, want only A", st.Releases)
	}
	if _, err := deploy.Rollback(ctx, e.target, deploy.Options{Env: "prod"}); !errorsIs(err, deploy.ErrNoPrevious) {
		t.Errorf("a second rollback with one release in the history: %v, want ErrNoPrevious", err)
	}

	l = e.startLoad(50)
	sc, err := deploy.Scale(ctx, e.target, deploy.Options{Env: "prod", Progress: e.events.add}, 3)
	total, failures = l.stop()
	if err != nil {
		t.Fatalf("scale: %v\n%s", err, e.events)
	}
	if len(failures) > 0 {
		t.Errorf("scale 1→3 at 50 req/s: %d of %d requests failed: %q", len(failures), total, failures)
	}
	if sc.Status != deploy.StatusSucceeded {
		t.Errorf("scale status %s", sc.Status)
	}
	want := []string{"minitwit-blue/1 running", "minitwit-blue/2 running", "minitwit-blue/3 running", "minitwit-green/1 exited"}
	if got := e.containers(); !slices.Equal(got, want) {
		t.Errorf("containers after scale 1→3: %q, want %q", got, want)
	}
	if n := e.upstreamServers(); n != 3 {
		t.Errorf("upstream servers after scale 1→3: %d, want 3", n)
	}
	e.wantServing(commitA)
	if st := e.state(); st.Current().Replicas != 3 {
		t.Errorf("history after the scale: %+v", st.Releases)
	}

	// Back down to 1: the extra replicas leave the upstream first.
	if _, err := deploy.Scale(ctx, e.target, deploy.Options{Env: "prod"}, 1); err != nil {
		t.Fatalf("scale 3→1: %v", err)
	}
	if n := e.upstreamServers(); n != 1 {
		t.Errorf("upstream servers after scale 3→1: %d, want 1", n)
	}
	e.wantServing(commitA)
}
