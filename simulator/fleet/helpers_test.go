package fleet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/testenv"
	"github.com/minitwit-cd/kit/simulator/fleet"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveKitBinaries()
	os.Exit(code)
}

// binaries are the real programs: the MiniTwit app (the simulator must not
// import it, so it runs as its own process) and the simulator itself (the
// fleet under test, killed with SIGKILL).
func binaries(t *testing.T) (minitwit, simulator string) {
	t.Helper()
	return testenv.KitBinary(t, "github.com/minitwit-cd/kit/app"), testenv.KitBinary(t, "github.com/minitwit-cd/kit/simulator")
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitFor polls cond every 50 ms until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// app is a real MiniTwit process on a fixed address and SQLite file, so
// it can be killed and started again with its data.
type app struct {
	t       *testing.T
	bin, db string
	addr    string
	cmd     *exec.Cmd
	log     *testenv.SyncBuffer
	exited  chan struct{}
}

func startApp(t *testing.T) *app {
	t.Helper()
	bin, _ := binaries(t)
	a := &app{t: t, bin: bin, db: filepath.Join(t.TempDir(), "minitwit.db"), addr: freeAddr(t), log: &testenv.SyncBuffer{}}
	a.start()
	t.Cleanup(a.kill)
	return a
}

func (a *app) url() string { return "http://" + a.addr }

func (a *app) start() {
	a.t.Helper()
	a.cmd = exec.Command(a.bin, "--addr", a.addr, "--db", a.db, "--bcrypt-cost", "4")
	a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
	if err := a.cmd.Start(); err != nil {
		a.t.Fatal(err)
	}
	a.exited = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(a.cmd, a.exited)
	waitFor(a.t, 30*time.Second, "MiniTwit on "+a.addr, func() bool {
		select {
		case <-a.exited:
			a.t.Fatalf("MiniTwit exited: %s", a.log.String())
		default:
		}
		resp, err := http.Get(a.url() + "/latest")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}

// kill stops the process with SIGKILL and waits for it.
func (a *app) kill() {
	if a.cmd == nil || a.cmd.Process == nil {
		return
	}
	_ = a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.exited
}

// proxy stands in front of a MiniTwit: it records every action's latest
// id it forwards (to prove none is sent twice) and injects a fault.
type proxy struct {
	srv     *httptest.Server
	backend string
	prefix  string        // served below this path prefix only
	slow    int           // every slow-th POST answers after slowFor
	slowFor time.Duration // how late
	as200   bool          // answer 200 instead of 204
	client  *http.Client

	mu     sync.Mutex
	posts  int
	seen   map[int64]int
	slowed []int64
	conns  map[net.Conn]bool // open client connections
}

func newProxy(t *testing.T, backend string, configure func(*proxy)) *proxy {
	p := &proxy{backend: backend, seen: map[int64]int{}, slowFor: 450 * time.Millisecond,
		client: &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}}
	if configure != nil {
		configure(p)
	}
	p.conns = map[net.Conn]bool{}
	p.srv = httptest.NewUnstartedServer(p)
	p.srv.Config.ConnState = func(c net.Conn, st http.ConnState) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if st == http.StateClosed || st == http.StateHijacked {
			delete(p.conns, c)
		} else {
			p.conns[c] = true
		}
	}
	p.srv.Start()
	t.Cleanup(p.srv.Close)
	return p
}

// open is how many client connections are open: after its client is
// killed, a request it wrote just before may still be read and forwarded,
// until the connection closes.
func (p *proxy) open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

func (p *proxy) url() string { return p.srv.URL + p.prefix }

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if p.prefix != "" {
		if !strings.HasPrefix(path, p.prefix+"/") {
			http.Error(w, "<html><body>404 Not Found</body></html>", http.StatusNotFound)
			return
		}
		path = strings.TrimPrefix(path, p.prefix)
	}
	body, _ := io.ReadAll(r.Body)
	n := 0
	if r.Method == http.MethodPost {
		id, _ := strconv.ParseInt(r.URL.Query().Get("latest"), 10, 64)
		p.mu.Lock()
		p.posts++
		n = p.posts
		p.seen[id]++
		if p.slow > 0 && n%p.slow == 0 {
			p.slowed = append(p.slowed, id)
		}
		p.mu.Unlock()
	}
	req, _ := http.NewRequest(r.Method, p.backend+path+"?"+r.URL.RawQuery, bytes.NewReader(body))
	req.Header = r.Header.Clone()
	resp, err := p.client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if p.slow > 0 && n > 0 && n%p.slow == 0 {
		time.Sleep(p.slowFor) // processed, but answered after the budget
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	code := resp.StatusCode
	if p.as200 && code == http.StatusNoContent {
		code = http.StatusOK
	}
	w.WriteHeader(code)
	_, _ = w.Write(rb)
}

// duplicates returns the action ids forwarded more than once.
func (p *proxy) duplicates() []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var d []int64
	for id, n := range p.seen {
		if n > 1 {
			d = append(d, id)
		}
	}
	return d
}

func (p *proxy) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.posts
}

// genScenario writes a generated scenario.
func genScenario(t *testing.T, users int, actions int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.tsv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := scenario.Generate(f, scenario.GenerateConfig{Users: users, Actions: actions, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeGroups writes a groups file.
func writeGroups(t *testing.T, path string, gs []fleet.Group) {
	t.Helper()
	var b strings.Builder
	b.WriteString("groups:\n")
	for _, g := range gs {
		fmt.Fprintf(&b, "  - id: %s\n    name: %q\n    api: %s\n", g.ID, g.Name, g.API)
		if g.Web != "" {
			fmt.Fprintf(&b, "    web: %s\n", g.Web)
		}
	}
	// Write beside and rename, so the watcher never reads half a file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// fleetProc is `simulator fleet run` as its own process.
type fleetProc struct {
	cmd    *exec.Cmd
	log    *testenv.SyncBuffer
	exited chan struct{}
	addr   string
}

func startFleet(t *testing.T, args ...string) *fleetProc {
	t.Helper()
	_, sim := binaries(t)
	p := &fleetProc{log: &testenv.SyncBuffer{}, exited: make(chan struct{}), addr: freeAddr(t)}
	p.cmd = exec.Command(sim, append([]string{"fleet", "run", "--listen", p.addr}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
		if t.Failed() {
			t.Logf("fleet log:\n%s", p.log.String())
		}
	})
	waitFor(t, 30*time.Second, "the fleet's dashboard", func() bool {
		select {
		case <-p.exited:
			t.Fatalf("fleet exited: %s", p.log.String())
		default:
		}
		resp, err := http.Get("http://" + p.addr + "/api/overview")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return p
}

func (p *fleetProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// overview is the part of /api/overview the tests read.
type overview struct {
	ConfigError string         `json:"config_error"`
	Groups      []groupSummary `json:"groups"`
}

type groupSummary struct {
	ID     string `json:"id"`
	Counts struct {
		Total       int64 `json:"total"`
		OK          int64 `json:"ok"`
		Late        int64 `json:"late"`
		Timeout     int64 `json:"timeout"`
		ConnError   int64 `json:"connection_error"`
		WrongStatus int64 `json:"wrong_status"`
		Consequence int64 `json:"consequence"`
	} `json:"counts"`
	Errors   int64 `json:"errors"`
	Latest   int64 `json:"latest"`
	Progress struct {
		Done  int64 `json:"done"`
		Acked int64 `json:"acked"`
		Sent  int64 `json:"sent"`
	} `json:"progress"`
	Prestart *struct {
		Class string `json:"class"`
		Value int64  `json:"value"`
	} `json:"prestart"`
	Checks map[string]struct {
		OK     bool   `json:"ok"`
		Class  string `json:"class"`
		Detail string `json:"detail"`
	} `json:"checks"`
	Live *struct {
		Running  bool `json:"running"`
		Finished bool `json:"finished"`
	} `json:"live"`
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, b)
	}
}

func (p *fleetProc) overview(t *testing.T) map[string]groupSummary {
	t.Helper()
	var o overview
	getJSON(t, "http://"+p.addr+"/api/overview", &o)
	m := map[string]groupSummary{}
	for _, g := range o.Groups {
		m[g.ID] = g
	}
	return m
}
