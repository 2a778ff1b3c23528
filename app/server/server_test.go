package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/app/server"
	"github.com/minitwit-cd/kit/app/storage"
	"github.com/minitwit-cd/kit/internal/logline"
	"github.com/minitwit-cd/kit/internal/testenv"
)

// simAuth is the course simulator's Authorization header.
const simAuth = "Basic c2ltdWxhdG9yOnN1cGVyX3NhZmUh"

// start runs a real server on 127.0.0.1:0 and shuts it down when the test
// ends. cfg.Addr and cfg.BcryptCost get test defaults.
func start(t *testing.T, cfg server.Config) (*server.Server, *testenv.SyncBuffer) {
	t.Helper()
	logs := &testenv.SyncBuffer{}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.BcryptCost == 0 {
		cfg.BcryptCost = bcrypt.MinCost
	}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return srv, logs
}

func sqliteDSN(t *testing.T) string { return filepath.Join(t.TempDir(), "minitwit.db") }

// apiClient speaks the simulator API like the course's simulator: a new
// connection per request and a 300 ms timeout, so a slow answer fails.
type apiClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func newAPIClient(t *testing.T, base string) *apiClient {
	return &apiClient{t: t, base: base, http: &http.Client{
		Timeout:   300 * time.Millisecond,
		Transport: &http.Transport{DisableKeepAlives: true},
	}}
}

// call sends one request and returns the status and body. auth "" sends
// the course credentials, "-" none.
func (c *apiClient) call(method, path, body, auth string) (int, string) {
	c.t.Helper()
	r, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	r.Header.Set("Connection", "close")
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	switch auth {
	case "":
		r.Header.Set("Authorization", simAuth)
	case "-":
	default:
		r.Header.Set("Authorization", auth)
	}
	resp, err := c.http.Do(r)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// step is one request of the API suite and what must come back.
type step struct {
	name, method, path, body, auth string
	status                         int
	// want is the exact body, or a JSON value compared semantically when
	// it starts with { or [; wantErr is a substring of error_msg.
	want, wantErr string
	// latest is the value GET /latest must return afterwards (0: skip).
	latest int64
}

// apiSuite drives every rule of sim-api.md over real HTTP, in order.
func apiSuite(t *testing.T, base string) {
	c := newAPIClient(t, base)
	reg := func(name string) string {
		b, _ := json.Marshal(map[string]string{"username": name, "email": strings.ReplaceAll(name, " ", ".") + "@example.com", "pwd": "foo"})
		return string(b)
	}
	forbidden := `{"status":403,"error_msg":"You are not authorized to use this resource!"}`
	steps := []step{
		{name: "latest before anything", method: "GET", path: "/latest", auth: "-", status: 200, want: `{"latest":-1}`},
		{name: "register a", method: "POST", path: "/register?latest=1", body: reg("a"), auth: "-", status: 204, want: "", latest: 1},
		{name: "register unicode with space", method: "POST", path: "/register?latest=2", body: reg("Roger Histand"), auth: "-", status: 204, latest: 2},
		{name: "register Æ", method: "POST", path: "/register?latest=3", body: reg("Æbleø Ünïcode"), auth: "-", status: 204, latest: 3},
		{name: "register no username", method: "POST", path: "/register?latest=4", body: `{"email":"x@y","pwd":"p"}`, auth: "-", status: 400, wantErr: "You have to enter a username", latest: 4},
		{name: "register bad email", method: "POST", path: "/register", body: `{"username":"n","email":"xy","pwd":"p"}`, auth: "-", status: 400, wantErr: "You have to enter a valid email address"},
		{name: "register no password", method: "POST", path: "/register", body: `{"username":"n","email":"x@y"}`, auth: "-", status: 400, wantErr: "You have to enter a password"},
		{name: "register taken", method: "POST", path: "/register", body: reg("a"), auth: "-", status: 400, wantErr: "The username is already taken"},
		{name: "register exact error body", method: "POST", path: "/register", body: `{}`, auth: "-", status: 400, want: `{"status":400,"error_msg":"You have to enter a username"}`},
		{name: "msgs without auth does not move latest", method: "GET", path: "/msgs?latest=5", auth: "-", status: 403, want: forbidden, latest: 4},
		{name: "post msg wrong auth does not move latest", method: "POST", path: "/msgs/a?latest=6", body: `{"content":"x"}`, auth: "Basic eDp5", status: 403, want: forbidden, latest: 4},
		{name: "fllws without auth", method: "GET", path: "/fllws/a", auth: "-", status: 403, want: forbidden},
		{name: "post msg", method: "POST", path: "/msgs/a?latest=7", body: `{"content":"Blub!"}`, status: 204, want: "", latest: 7},
		{name: "post msg unicode user", method: "POST", path: "/msgs/Roger%20Histand?latest=8", body: `{"content":"<hej> & \"dav\""}`, status: 204, latest: 8},
		{name: "post msg unknown user", method: "POST", path: "/msgs/nobody", body: `{"content":"x"}`, status: 404, wantErr: "Unknown user"},
		{name: "post msg missing content", method: "POST", path: "/msgs/a", body: `{}`, status: 400, wantErr: "content"},
		{name: "user msgs", method: "GET", path: "/msgs/a?no=20&latest=9", status: 200, want: `[{"content":"Blub!","user":"a"}]`, latest: 9},
		{name: "user msgs unicode", method: "GET", path: "/msgs/Roger%20Histand", status: 200, want: `[{"content":"<hej> & \"dav\"","user":"Roger Histand"}]`},
		{name: "public msgs newest first", method: "GET", path: "/msgs?no=5", status: 200, want: `[{"content":"<hej> & \"dav\"","user":"Roger Histand"},{"content":"Blub!","user":"a"}]`},
		{name: "no=1", method: "GET", path: "/msgs?no=1", status: 200, want: `[{"content":"<hej> & \"dav\"","user":"Roger Histand"}]`},
		{name: "no=0", method: "GET", path: "/msgs?no=0", status: 200, want: `[]`},
		{name: "no above cap clamps", method: "GET", path: "/msgs?no=1000000", status: 200, want: `[{"content":"<hej> & \"dav\"","user":"Roger Histand"},{"content":"Blub!","user":"a"}]`},
		{name: "no non-integer", method: "GET", path: "/msgs?no=ten&latest=10", status: 400, wantErr: "no must be a non-negative integer", latest: 10},
		{name: "no negative", method: "GET", path: "/msgs/a?no=-1", status: 400, wantErr: "no must be a non-negative integer"},
		{name: "user msgs unknown", method: "GET", path: "/msgs/nobody", status: 404, wantErr: "Unknown user"},
		{name: "follow", method: "POST", path: "/fllws/a?latest=11", body: `{"follow":"Roger Histand"}`, status: 204, latest: 11},
		{name: "follow twice", method: "POST", path: "/fllws/a", body: `{"follow":"Roger Histand"}`, status: 204},
		{name: "follow Æ", method: "POST", path: "/fllws/a", body: `{"follow":"Æbleø Ünïcode"}`, status: 204},
		{name: "follows in order, no duplicate", method: "GET", path: "/fllws/a", status: 200, want: `{"follows":["Roger Histand","Æbleø Ünïcode"]}`},
		{name: "follows no=1", method: "GET", path: "/fllws/a?no=1", status: 200, want: `{"follows":["Roger Histand"]}`},
		{name: "followers are not follows", method: "GET", path: "/fllws/Roger%20Histand", status: 200, want: `{"follows":[]}`},
		{name: "unfollow", method: "POST", path: "/fllws/a?latest=12", body: `{"unfollow":"Roger Histand"}`, status: 204, latest: 12},
		{name: "unfollow absent", method: "POST", path: "/fllws/a", body: `{"unfollow":"Roger Histand"}`, status: 204},
		{name: "after unfollow", method: "GET", path: "/fllws/a", status: 200, want: `{"follows":["Æbleø Ünïcode"]}`},
		{name: "follow unknown target", method: "POST", path: "/fllws/a", body: `{"follow":"nobody"}`, status: 404, wantErr: "Unknown user"},
		{name: "follow from unknown user", method: "POST", path: "/fllws/nobody", body: `{"follow":"a"}`, status: 404, wantErr: "Unknown user"},
		{name: "fllws unknown user", method: "GET", path: "/fllws/nobody", status: 404, wantErr: "Unknown user"},
		{name: "fllws empty body object", method: "POST", path: "/fllws/a", body: `{}`, status: 400, wantErr: "follow"},
		{name: "malformed JSON", method: "POST", path: "/msgs/a?latest=13", body: `{"content":`, status: 400, wantErr: "Malformed JSON", latest: 13},
		{name: "wrong field type", method: "POST", path: "/fllws/a", body: `{"follow":42}`, status: 400, wantErr: "must be a string"},
		{name: "NUL in content", method: "POST", path: "/msgs/a", body: `{"content":"a\u0000b"}`, status: 400, wantErr: "NUL"},
		{name: "10000-char username", method: "GET", path: "/msgs/" + strings.Repeat("x", 10000), status: 400, wantErr: "too long"},
		{name: "NUL in path username", method: "GET", path: "/msgs/a%00b", status: 400, wantErr: "NUL"},
		{name: "invalid UTF-8 in path username", method: "GET", path: "/fllws/%FF%FE", status: 400, wantErr: "UTF-8"},
		{name: "NUL in registered name", method: "POST", path: "/register", body: `{"username":"a\u0000","email":"a@a","pwd":"p"}`, auth: "-", status: 400, wantErr: "NUL"},
		{name: "NUL in follow target", method: "POST", path: "/fllws/a", body: `{"follow":"\u0000"}`, status: 400, wantErr: "NUL"},
		{name: "invalid UTF-8 body", method: "POST", path: "/msgs/a", body: "{\"content\":\"\xff\"}", status: 400, wantErr: "UTF-8"},
		{name: "latest non-integer ignored", method: "GET", path: "/msgs?latest=abc", status: 200, latest: 13},
		{name: "final latest", method: "GET", path: "/latest", auth: "-", status: 200, want: `{"latest":13}`},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			c.t = t
			status, body := c.call(s.method, s.path, s.body, s.auth)
			if status != s.status {
				t.Fatalf("status %d, want %d; body %q", status, s.status, body)
			}
			switch {
			case s.wantErr != "":
				var e struct {
					Status   int    `json:"status"`
					ErrorMsg string `json:"error_msg"`
				}
				if err := json.Unmarshal([]byte(body), &e); err != nil || e.Status != status || !strings.Contains(e.ErrorMsg, s.wantErr) {
					t.Fatalf("error body %q, want status %d and %q (%v)", body, status, s.wantErr, err)
				}
			case strings.HasPrefix(s.want, "["):
				wantMessages(t, body, s.want)
			case strings.HasPrefix(s.want, "{") || s.want == "" && s.status == 204:
				if body != s.want {
					t.Fatalf("body %q, want %q", body, s.want)
				}
			}
			if s.latest != 0 {
				_, lb := c.call("GET", "/latest", "", "-")
				if want := fmt.Sprintf(`{"latest":%d}`, s.latest); lb != want {
					t.Fatalf("GET /latest = %s, want %s", lb, want)
				}
			}
		})
	}
	c.t = t
}

// wantMessages compares a message array ignoring pub_date's value but
// checking that it is an integer Unix time close to now.
func wantMessages(t *testing.T, body, want string) {
	t.Helper()
	var got []map[string]any
	d := json.NewDecoder(strings.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&got); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	var exp []map[string]any
	json.Unmarshal([]byte(want), &exp)
	if len(got) != len(exp) {
		t.Fatalf("got %d messages, want %d: %s", len(got), len(exp), body)
	}
	for i := range got {
		n, ok := got[i]["pub_date"].(json.Number)
		if !ok {
			t.Fatalf("pub_date %v is not a number", got[i]["pub_date"])
		}
		sec, err := n.Int64()
		if err != nil || time.Since(time.Unix(sec, 0)).Abs() > time.Hour {
			t.Fatalf("pub_date %v is not the Unix time in seconds (%v)", n, err)
		}
		if got[i]["content"] != exp[i]["content"] || got[i]["user"] != exp[i]["user"] || len(got[i]) != 3 {
			t.Fatalf("message %d = %v, want %v", i, got[i], exp[i])
		}
	}
}

func TestAPISuiteSQLite(t *testing.T) {
	srv, _ := start(t, server.Config{DB: sqliteDSN(t)})
	apiSuite(t, srv.Addr())
}

func TestAPISuitePostgres(t *testing.T) {
	srv, _ := start(t, server.Config{DB: testenv.PostgresURL(t)})
	apiSuite(t, srv.Addr())
}

func TestAPISuiteOnSecondPort(t *testing.T) {
	srv, logs := start(t, server.Config{DB: sqliteDSN(t), APIAddr: "127.0.0.1:0"})
	if srv.APIAddr() == "" || srv.APIAddr() == srv.Addr() {
		t.Fatalf("APIAddr %q, Addr %q", srv.APIAddr(), srv.Addr())
	}
	if !strings.Contains(logs.String(), "simulator API listening on "+srv.APIAddr()) {
		t.Fatalf("log lacks the API address:\n%s", logs)
	}
	apiSuite(t, srv.APIAddr())
	// The API port serves no web UI: a form POST /register is the API's 400.
	resp, err := http.PostForm(srv.APIAddr()+"/register", url.Values{"username": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("form register on API port: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Both ports share one store.
	c := newAPIClient(t, srv.Addr())
	if _, body := c.call("GET", "/latest", "", "-"); body != `{"latest":13}` {
		t.Fatalf("main port latest %s", body)
	}
}

func TestAddrAndStartupLog(t *testing.T) {
	srv, logs := start(t, server.Config{DB: sqliteDSN(t)})
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(srv.Addr()) {
		t.Fatalf("Addr() = %q", srv.Addr())
	}
	if u, ok := logline.ListenURL(logs.String()); !ok || u != srv.Addr() {
		t.Fatalf("log %q does not announce %s", logs.String(), srv.Addr())
	}
	if !strings.Contains(logs.String(), "MINITWIT_SESSION_SECRET is not set") {
		t.Fatalf("no warning about the random session secret:\n%s", logs)
	}
	if srv.APIAddr() != "" {
		t.Fatalf("APIAddr() = %q without a second port", srv.APIAddr())
	}
	if err := srv.Store().Ping(context.Background()); err != nil {
		t.Fatalf("Store().Ping: %v", err)
	}
	for _, path := range []string{"/healthz", "/version", "/metrics"} {
		resp, err := http.Get(srv.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
}

func TestStartErrors(t *testing.T) {
	t.Run("port in use", func(t *testing.T) {
		first, _ := start(t, server.Config{DB: sqliteDSN(t)})
		addr := strings.TrimPrefix(first.Addr(), "http://")
		srv, err := server.New(context.Background(), server.Config{DB: sqliteDSN(t), Addr: addr})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Shutdown(context.Background())
		if err := srv.Start(); err == nil || !strings.Contains(err.Error(), addr) {
			t.Fatalf("Start on a used port: %v", err)
		}
	})
	t.Run("bad database", func(t *testing.T) {
		_, err := server.New(context.Background(), server.Config{DB: filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")})
		if err == nil {
			t.Fatal("New with an unopenable database succeeded")
		}
	})
}

// TestRestartKeepsLatestDataAndSessions stops a server and starts another
// on the same database and session secret.
func TestRestartKeepsLatestDataAndSessions(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testRestart(t, sqliteDSN(t)) })
	t.Run("postgres", func(t *testing.T) { testRestart(t, testenv.PostgresURL(t)) })
}

func testRestart(t *testing.T, dsn string) {
	cfg := server.Config{DB: dsn, SessionSecret: "a fixed secret for the test"}
	ctx := context.Background()
	first, err := server.New(ctx, withTestDefaults(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { first.Shutdown(context.Background()) }) // a no-op after the Shutdown below
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	c := newAPIClient(t, first.Addr())
	c.call("POST", "/register?latest=41", `{"username":"a","email":"a@a","pwd":"default"}`, "-")
	c.call("POST", "/msgs/a?latest=42", `{"content":"kept"}`, "")
	web := newWebClient(t, first.Addr())
	web.login("a", "default")
	if err := first.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := first.Store().Ping(ctx); err == nil {
		t.Fatal("the store still answers after Shutdown")
	}

	second, _ := start(t, cfg)
	c.base, web.base = second.Addr(), second.Addr()
	if _, body := c.call("GET", "/latest", "", "-"); body != `{"latest":42}` {
		t.Fatalf("latest after restart: %s", body)
	}
	if _, body := c.call("GET", "/msgs/a", "", ""); !strings.Contains(body, `"kept"`) {
		t.Fatalf("messages after restart: %s", body)
	}
	// The cookie jar is keyed by host, so move the old cookie over.
	u1, _ := url.Parse(first.Addr())
	u2, _ := url.Parse(second.Addr())
	web.http.Jar.SetCookies(u2, web.http.Jar.Cookies(u1))
	if p := web.get("/"); !strings.Contains(p.body, "sign out [a]") {
		t.Fatalf("session lost across restart with the same secret:\n%s", p.body)
	}
}

func withTestDefaults(cfg server.Config) server.Config {
	cfg.Addr = "127.0.0.1:0"
	cfg.BcryptCost = bcrypt.MinCost
	return cfg
}

// TestGracefulShutdown starts a request, begins shutting down while it is
// in flight, and checks that it still completes, that new connections are
// refused, and that the store closes only afterwards.
func TestGracefulShutdown(t *testing.T) {
	dsn := sqliteDSN(t)
	srv, err := server.New(context.Background(), withTestDefaults(server.Config{DB: dsn}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	newAPIClient(t, srv.Addr()).call("POST", "/register", `{"username":"a","email":"a@a","pwd":"p"}`, "-")
	host := strings.TrimPrefix(srv.Addr(), "http://")

	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"content":"in flight"}`
	head := fmt.Sprintf("POST /msgs/a HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", host, simAuth, len(body))
	// Send the headers and half the body: the handler is now waiting for
	// the rest inside the server.
	if _, err := io.WriteString(conn, head+body[:10]); err != nil {
		t.Fatal(err)
	}
	// Make sure the server has read the request line: a second request on
	// another connection that completes proves the server is serving.
	newAPIClient(t, srv.Addr()).call("GET", "/latest", "", "-")

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done <- srv.Shutdown(ctx)
	}()
	// Wait until the listener is closed: Shutdown has begun.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", host, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts connections during shutdown")
		}
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) while a request was in flight", err)
	default:
	}
	if _, err := io.WriteString(conn, body[10:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("in-flight request: status %d", resp.StatusCode)
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// The message was stored before the store closed.
	store, err := storage.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u, err := store.UserByName(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := store.UserTimeline(context.Background(), u.ID, minitwit.Page{Limit: 10})
	if err != nil || len(msgs) != 1 || msgs[0].Text != "in flight" {
		t.Fatalf("messages after shutdown: %v %v", msgs, err)
	}
}
