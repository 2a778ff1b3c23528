package deploy_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/minitwit-cd/kit/pipeline/deploy"
)

// TestDeployFailures: every way a deploy can fail leaves A serving, the
// history unchanged, no container of the failed colour and the lock free.
func TestDeployFailures(t *testing.T) {
	e := newEnv(t, "prod", commitA, commitB)
	e.deploy(commitA)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// intact asserts the state after a failure.
	intact := func(t *testing.T) {
		t.Helper()
		e.t = t
		e.wantServing(commitA)
		if got, want := e.containers(), []string{"minitwit-blue/1 running"}; !slices.Equal(got, want) {
			t.Errorf("containers: %q, want %q", got, want)
		}
		if st := e.state(); len(st.Releases) != 1 || st.Current().Commit != commitA {
			t.Errorf("history: %+v, want only A", st.Releases)
		}
		if out, err := e.vm.Exec(ctx, "ls", "/srv/minitwit"); err != nil || strings.Contains(out, "deploy.lock") {
			t.Errorf("deploy directory after the failure: %q %v (the lock must be released)", out, err)
		}
	}
	// oneLine asserts a one-line error naming the problem.
	oneLine := func(t *testing.T, err error, want ...string) {
		t.Helper()
		if err == nil {
			t.Fatal("the deploy succeeded")
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") {
			t.Errorf("error is not one line: %q", msg)
		}
		for _, w := range want {
			if !strings.Contains(msg, w) {
				t.Errorf("error %q does not name %q", msg, w)
			}
		}
	}

	t.Run("image not pinned by digest", func(t *testing.T) {
		for _, ref := range []string{"registry:5000/minitwit:latest", "registry:5000/minitwit", "minitwit@sha256:abc", ""} {
			req := e.request(commitB)
			req.Image = ref
			res, err := deploy.Deploy(ctx, e.target, req)
			if !errors.Is(err, deploy.ErrNotDigest) || res.Status != deploy.StatusFailed {
				t.Errorf("image %q: %v, status %s; want ErrNotDigest, failed", ref, err, res.Status)
			}
			oneLine(t, err, fmt.Sprintf("%q", ref))
		}
		intact(t)
	})

	t.Run("unreachable host", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := l.Addr().String()
		l.Close()
		target := e.target
		target.Addr = closed
		start := time.Now()
		_, err = deploy.Deploy(ctx, target, e.request(commitB))
		oneLine(t, err, closed, "connection refused")
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("an unreachable host took %s to fail", d)
		}
		intact(t)
	})

	t.Run("unknown host key", func(t *testing.T) {
		target := e.target
		target.KnownHosts = filepath.Join(t.TempDir(), "known_hosts")
		if err := os.WriteFile(target.KnownHosts, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := deploy.Deploy(ctx, target, e.request(commitB))
		if !errors.Is(err, deploy.ErrHostKey) {
			t.Errorf("err %v, want ErrHostKey", err)
		}
		oneLine(t, err, ssh.FingerprintSHA256(e.vm.HostKey), "does not list")
		intact(t)
	})

	t.Run("changed host key", func(t *testing.T) {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		other, err := ssh.NewPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		target := e.target
		target.KnownHosts = filepath.Join(t.TempDir(), "known_hosts")
		line := knownhosts.Line([]string{knownhosts.Normalize(e.vm.SSHAddr)}, other) + "\n"
		if err := os.WriteFile(target.KnownHosts, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err = deploy.Deploy(ctx, target, e.request(commitB))
		if !errors.Is(err, deploy.ErrHostKey) {
			t.Errorf("err %v, want ErrHostKey", err)
		}
		oneLine(t, err, "CHANGED", ssh.FingerprintSHA256(e.vm.HostKey), ssh.FingerprintSHA256(other))
		intact(t)
	})

	t.Run("held lock", func(t *testing.T) {
		e.writeLock(t, "alice@laptop", time.Now().Add(time.Hour))
		start := time.Now()
		_, err := deploy.Deploy(ctx, e.target, e.request(commitB))
		if !errors.Is(err, deploy.ErrLocked) {
			t.Errorf("err %v, want ErrLocked", err)
		}
		oneLine(t, err, "alice@laptop")
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("a held lock took %s to fail", d)
		}
		if out, _ := e.vm.Exec(ctx, "cat", "/srv/minitwit/deploy.lock"); !strings.Contains(out, "alice@laptop") {
			t.Errorf("alice's lock was touched: %q", out)
		}
		if _, err := e.vm.Exec(ctx, "rm", "/srv/minitwit/deploy.lock"); err != nil {
			t.Fatal(err)
		}
		intact(t)
	})

	t.Run("gate refuses", func(t *testing.T) {
		req := e.request(commitB)
		req.Check = func(context.Context) error { return errors.New("artifact minitwit:bbbbbbb is not compliant in prod") }
		res, err := deploy.Deploy(ctx, e.target, req)
		if !errors.Is(err, deploy.ErrCheck) || res.Status != deploy.StatusFailed {
			t.Errorf("err %v, status %s; want ErrCheck, failed", err, res.Status)
		}
		oneLine(t, err, "not compliant")
		intact(t)
	})

	t.Run("another environment", func(t *testing.T) {
		req := e.request(commitB)
		req.Env = "beta"
		_, err := deploy.Deploy(ctx, e.target, req)
		oneLine(t, err, `serves env "prod"`)
		intact(t)
	})

	t.Run("registry down", func(t *testing.T) {
		if err := e.lab.Registry.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := deploy.Deploy(ctx, e.target, e.request(commitB))
		if rerr := e.lab.Registry.Start(ctx); rerr != nil {
			t.Fatal(rerr)
		}
		oneLine(t, err, "pull", e.refs[commitB])
		intact(t)
	})

	t.Run("health check fails", func(t *testing.T) {
		// B's image, announced as another commit: its /version never
		// reports what the deploy waits for.
		req := e.request(commitB)
		req.Commit = "cccccccccccccccccccccccccccccccccccccccc"
		req.HealthTimeout = 3 * time.Second
		res, err := deploy.Deploy(ctx, e.target, req)
		if !errors.Is(err, deploy.ErrUnhealthy) || res.Status != deploy.StatusFailed || res.Colour != deploy.Green {
			t.Errorf("err %v, status %s, colour %s; want ErrUnhealthy, failed, green", err, res.Status, res.Colour)
		}
		oneLine(t, err, "/version reports commit bbbbbbbbbbbb, want cccccccccccc")
		intact(t)
	})

	t.Run("fails during the soak", func(t *testing.T) {
		req := e.request(commitB)
		req.Soak = 5 * time.Second
		var stopErr error
		e.events.hook = func(ev deploy.Event) {
			if ev.Step == deploy.StepSoak {
				// The new colour dies right after taking the traffic.
				_, stopErr = e.vm.Exec(ctx, "sh", "-c", "docker stop -t 1 $(docker ps -q --filter label=com.docker.compose.project=minitwit-green)")
			}
		}
		res, err := deploy.Deploy(ctx, e.target, req)
		e.events.hook = nil
		if stopErr != nil {
			t.Fatal(stopErr)
		}
		if !errors.Is(err, deploy.ErrSoak) || res.Status != deploy.StatusRolledBack {
			t.Errorf("err %v, status %s; want ErrSoak, rolled_back\n%s", err, res.Status, e.events)
		}
		oneLine(t, err, "soak")
		intact(t)
	})

	t.Run("stale lock is taken over", func(t *testing.T) {
		e.writeLock(t, "bob@ci", time.Now().Add(-time.Minute))
		res, err := deploy.Deploy(ctx, e.target, e.request(commitB))
		if err != nil {
			t.Fatalf("deploy over a stale lock: %v", err)
		}
		if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "stale deploy lock of bob@ci") {
			t.Errorf("warnings %q, want the stale lock named", res.Warnings)
		}
		e.t = t
		e.wantServing(commitB)
	})
}

// writeLock puts another deployer's lock on the VM.
func (e *env) writeLock(t *testing.T, owner string, expires time.Time) {
	t.Helper()
	body := fmt.Sprintf(`{"owner":%q,"env":"prod","commit":"dddddddddddd","acquired":%q,"expires":%q}`,
		owner, expires.Add(-2*time.Hour).UTC().Format(time.RFC3339), expires.UTC().Format(time.RFC3339))
	if _, err := e.vm.Exec(context.Background(), "sh", "-c",
		"printf '%s' '"+body+"' >/srv/minitwit/deploy.lock && chown deploy:deploy /srv/minitwit/deploy.lock"); err != nil {
		t.Fatal(err)
	}
}
