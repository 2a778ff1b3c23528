package deploy_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/pipeline/deploy"
)

func TestDeployRollbackScale(t *testing.T) {
	e := newEnv(t, "prod", commitA, commitB)
	resA := e.deploy(commitA)
	if resA.Colour != deploy.Blue || resA.Previous != nil {
		t.Errorf("first deploy: colour %s, previous %v; want blue, none", resA.Colour, resA.Previous)
	}
	e.wantServing(commitA)

	resB := e.deploy(commitB)
	t.Logf("A→B: serving after %s, total %s\n%s", resB.Timings.Serving, resB.Timings.Total, e.events)
	if resB.Colour != deploy.Green || resB.Previous == nil || resB.Previous.Commit != commitA {
		t.Errorf("second deploy: colour %s, previous %+v; want green after A", resB.Colour, resB.Previous)
	}
	e.wantServing(commitB)
	if got, want := e.containers(), []string{"minitwit-green/1 running"}; !slices.Equal(got, want) {
		t.Errorf("containers after A→B: %q, want %q (blue stopped and removed)", got, want)
	}
	if st := e.state(); len(st.Releases) != 2 || st.Current().Commit != commitB {
		t.Errorf("history after A→B: %+v", st.Releases)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rb, err := deploy.Rollback(ctx, e.target, deploy.Options{Env: "prod", Progress: e.events.add})
	if err != nil {
		t.Fatalf("rollback: %v\n%s", err, e.events)
	}
	t.Logf("rollback: serving after %s, total %s", rb.Timings.Serving, rb.Timings.Total)
	if rb.Status != deploy.StatusSucceeded || rb.Commit != commitA || rb.Colour != deploy.Blue {
		t.Errorf("rollback result %+v", rb)
	}
	e.wantServing(commitA)
	if st := e.state(); len(st.Releases) != 1 || st.Current().Commit != commitA {
		t.Errorf("history after the rollback: %+v, want only A", st.Releases)
	}
	if _, err := deploy.Rollback(ctx, e.target, deploy.Options{Env: "prod"}); err == nil {
		t.Error("a second rollback with one release in the history succeeded")
	}

	sc, err := deploy.Scale(ctx, e.target, deploy.Options{Env: "prod", Progress: e.events.add}, 3)
	if err != nil {
		t.Fatalf("scale: %v\n%s", err, e.events)
	}
	if sc.Status != deploy.StatusSucceeded {
		t.Errorf("scale status %s", sc.Status)
	}
	want := []string{"minitwit-blue/1 running", "minitwit-blue/2 running", "minitwit-blue/3 running"}
	if got := e.containers(); !slices.Equal(got, want) {
		t.Errorf("containers after scale 1→3: %q, want %q", got, want)
	}
	upstream, err := e.vm.Exec(ctx, "grep", "-c", "server 127.0.0.1:", "/etc/nginx/minitwit/upstream.conf")
	if err != nil || upstream != "3" {
		t.Errorf("upstream servers after scale 1→3: %q %v, want 3", upstream, err)
	}
	e.wantServing(commitA)
	if st := e.state(); st.Current().Replicas != 3 {
		t.Errorf("history after the scale: %+v", st.Releases)
	}
}
