package deploy_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"golang.org/x/crypto/ssh"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/pipeline/deploy"
	"github.com/minitwit-cd/kit/pipeline/vm"
)

// The two versions every test deploys: minitwit built with these commits
// in its -ldflags, so /version tells them apart.
const (
	commitA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	commitB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

var (
	fixtureOnce sync.Once
	fixtureErr  error
	vmImage     string
	appImages   = map[string]string{} // commit → local image tag
)

// fixtures builds, once per test process, the VM image (cached across
// runs by its inputs) and the two minitwit images (scripts/build-image.sh,
// the Go build cache makes the second build a link).
func fixtures(t testing.TB) {
	t.Helper()
	testenv.Docker(t)
	testenv.Binary(t, "debootstrap")
	testenv.Binary(t, "docker-registry")
	fixtureOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		defer cancel()
		img, err := vm.BuildImage(ctx, vm.ImageOptions{Progress: os.Stderr})
		if err != nil {
			fixtureErr = err
			return
		}
		vmImage = img.Ref
		root := testenv.RepoRoot(t)
		for _, commit := range []string{commitA, commitB} {
			tag := "minitwit-deploytest:" + commit[:7]
			cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "build-image.sh"), tag)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "COMMIT="+commit, "VERSION=test-"+commit[:7], "DATE=2026-01-01T00:00:00Z")
			if out, err := cmd.CombinedOutput(); err != nil {
				fixtureErr = fmt.Errorf("build image %s: %w: %s", tag, err, out)
				return
			}
			appImages[commit] = tag
		}
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
}

// env is one lab with one VM, the CI key and a pinned known_hosts.
type env struct {
	t      testing.TB
	lab    *vm.Lab
	vm     *vm.VM
	target deploy.Target
	refs   map[string]string // commit → pull reference by digest
	events *eventLog
}

// newEnv starts a lab and a VM, and pushes the given commits' images to
// the lab's registry.
func newEnv(t testing.TB, name string, commits ...string) *env {
	t.Helper()
	fixtures(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lab, err := vm.NewLab(ctx, vm.LabOptions{Image: vmImage})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Close(); err != nil {
			t.Error(err)
		}
	})
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := lab.StartVM(ctx, vm.VMOptions{Name: name, AuthorizedKeys: string(ssh.MarshalAuthorizedKey(signer.PublicKey()))})
	if err != nil {
		t.Fatal(err)
	}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := v.WriteKnownHosts(kh); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, lab: lab, vm: v, refs: map[string]string{}, events: &eventLog{},
		target: deploy.Target{User: vm.User, Addr: v.SSHAddr, KnownHosts: kh, Signer: signer}}
	for _, c := range commits {
		ref, err := lab.Registry.Push(ctx, appImages[c], "minitwit")
		if err != nil {
			t.Fatal(err)
		}
		e.refs[c] = ref
	}
	return e
}

// request is a deploy of commit with short timeouts for tests.
func (e *env) request(commit string) deploy.Request {
	return deploy.Request{
		Options: deploy.Options{Env: "prod", Owner: "test", HealthTimeout: 30 * time.Second, Soak: 2 * time.Second, Progress: e.events.add},
		Image:   e.refs[commit], Commit: commit, Replicas: 1,
		AppEnv: map[string]string{"MINITWIT_SESSION_SECRET": "test-secret-test-secret-test-secret"},
	}
}

func (e *env) deploy(commit string) deploy.Result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := deploy.Deploy(ctx, e.target, e.request(commit))
	if err != nil {
		e.t.Fatalf("deploy %s: %v\n%s", commit[:7], err, e.events)
	}
	if res.Status != deploy.StatusSucceeded {
		e.t.Fatalf("deploy %s: status %s", commit[:7], res.Status)
	}
	return res
}

// serving returns the commit nginx's /version reports from the host.
func (e *env) serving() (string, error) {
	resp, err := http.Get(e.vm.HTTPURL + "/version")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return "", fmt.Errorf("GET /version: %s: %s", resp.Status, b)
	}
	var v struct{ Commit string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return "", err
	}
	return v.Commit, nil
}

// wantServing asserts that nginx serves commit.
func (e *env) wantServing(commit string) {
	e.t.Helper()
	got, err := e.serving()
	if err != nil {
		e.t.Fatalf("nginx: %v", err)
	}
	if got != commit {
		e.t.Fatalf("nginx serves commit %s, want %s", got, commit)
	}
}

// containers lists the VM's minitwit containers as "project/number image".
func (e *env) containers() []string {
	e.t.Helper()
	out, err := e.vm.Exec(context.Background(), "docker", "ps", "-a", "--filter", "label=com.docker.compose.service=minitwit",
		"--format", `{{.Label "com.docker.compose.project"}}/{{.Label "com.docker.compose.container-number"}} {{.State}}`)
	if err != nil {
		e.t.Fatal(err)
	}
	if out == "" {
		return nil
	}
	lines := strings.Split(out, "\n")
	sort.Strings(lines)
	return lines
}

func (e *env) state() *deploy.State {
	e.t.Helper()
	st, err := deploy.ReadState(context.Background(), e.target)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// eventLog keeps the progress events, for failure messages.
type eventLog struct {
	mu     sync.Mutex
	events []deploy.Event
	hook   func(deploy.Event)
}

func (l *eventLog) add(e deploy.Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	hook := l.hook
	l.mu.Unlock()
	if hook != nil {
		hook(e)
	}
}

func (l *eventLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	p := deploy.Lines(&b)
	for _, e := range l.events {
		p(e)
	}
	return b.String()
}

// load is a bounded open-model load on nginx (vegeta, 50 req/s, at most
// a minute) whose every failure is kept.
type load struct {
	attacker *vegeta.Attacker
	done     chan struct{}
	total    int
	failures []string
}

// startLoad sends rate requests per second to the VM's nginx, alternating
// the public timeline (a database read) and /version.
func (e *env) startLoad(rate int) *load {
	targeter := vegeta.NewStaticTargeter(
		vegeta.Target{Method: http.MethodGet, URL: e.vm.HTTPURL + "/public"},
		vegeta.Target{Method: http.MethodGet, URL: e.vm.HTTPURL + "/version"},
	)
	l := &load{attacker: vegeta.NewAttacker(vegeta.Timeout(5*time.Second), vegeta.Workers(4)), done: make(chan struct{})}
	results := l.attacker.Attack(targeter, vegeta.Rate{Freq: rate, Per: time.Second}, time.Minute, "deploy")
	go func() {
		defer close(l.done)
		for r := range results {
			l.total++
			if r.Code != http.StatusOK || r.Error != "" {
				l.failures = append(l.failures, fmt.Sprintf("%s %s: %d %s", r.Timestamp.Format("15:04:05.000"), r.URL, r.Code, r.Error))
			}
		}
	}()
	return l
}

// stop ends the load and returns the requests sent and the failures.
func (l *load) stop() (int, []string) {
	l.attacker.Stop()
	<-l.done
	return l.total, l.failures
}

// upstreamServers counts the servers in nginx's upstream file on the VM.
func (e *env) upstreamServers() int {
	e.t.Helper()
	out, err := e.vm.Exec(context.Background(), "grep", "-c", "server 127.0.0.1:", "/etc/nginx/minitwit/upstream.conf")
	if err != nil {
		e.t.Fatal(err)
	}
	var n int
	fmt.Sscan(out, &n)
	return n
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
