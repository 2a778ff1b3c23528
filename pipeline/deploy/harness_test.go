package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/minitwit-cd/kit/pipeline/deploy"
	"github.com/minitwit-cd/kit/pipeline/internal/vmtest"
	"github.com/minitwit-cd/kit/pipeline/vm"
)

const (
	commitA = vmtest.CommitA
	commitB = vmtest.CommitB
)

// env is vmtest's Env with the test's progress log.
type env struct {
	*vmtest.Env
	t      testing.TB
	vm     *vm.VM
	lab    *vm.Lab
	target deploy.Target
	refs   map[string]string
	events *eventLog
}

func newEnv(t testing.TB, name string, commits ...string) *env {
	t.Helper()
	e := vmtest.Start(t, name, commits...)
	return &env{Env: e, t: t, vm: e.VM, lab: e.Lab, target: e.Target, refs: e.Refs, events: &eventLog{}}
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

// wantServing asserts that nginx serves commit.
func (e *env) wantServing(commit string) {
	e.t.Helper()
	e.WantServing(e.t, commit)
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
