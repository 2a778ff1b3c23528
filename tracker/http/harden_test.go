package http_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/testenv"
	trackerhttp "github.com/minitwit-cd/kit/tracker/http"
)

// live is the real server on a loopback port over a real SQLite file, with
// its log captured.
type live struct {
	*env
	url  string
	addr string
	log  *testenv.SyncBuffer
}

func newLive(t *testing.T, opts ...func(*trackerhttp.Config)) *live {
	t.Helper()
	logs := &testenv.SyncBuffer{}
	opts = append([]func(*trackerhttp.Config){func(o *trackerhttp.Config) {
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}}, opts...)
	e := newEnv(t, opts...)
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	return &live{env: e, url: srv.URL, addr: srv.Listener.Addr().String(), log: logs}
}

// rawRequest opens a TCP connection and sends a request head announcing
// a body of length bytes; the caller sends (some of) the body.
func (l *live) rawRequest(t *testing.T, method, path, token string, length int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", l.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", method, path, l.addr, length)
	if token != "" {
		head += "Authorization: Bearer " + token + "\r\n"
	}
	if _, err := io.WriteString(conn, head+"\r\n"); err != nil {
		t.Fatal(err)
	}
	return conn
}

// readStatus reads the status line of the response on conn, giving up
// after wait. It returns "" when the server closed the connection without
// an answer.
func readStatus(t *testing.T, conn net.Conn, wait time.Duration) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(wait))
	line, err := bufio.NewReader(conn).ReadString('\n')
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("no answer and the connection is still open after %s", wait)
	}
	return strings.TrimSpace(line)
}

// dribble sends body one byte a second until the connection fails or stop
// is closed.
func dribble(conn net.Conn, body string, stop <-chan struct{}) {
	for i := 0; i < len(body); i++ {
		if _, err := conn.Write([]byte{body[i]}); err != nil {
			return
		}
		select {
		case <-stop:
			return
		case <-time.After(time.Second):
		}
	}
}

// TestSlowBodies: an unauthenticated PUT is refused without reading its
// body, and a body sent at 1 byte/s is cut off at the read bound.
func TestSlowBodies(t *testing.T) {
	t.Run("unauthenticated PUT gets 401 before its body", func(t *testing.T) {
		// The bound is far away: only not reading the body answers fast.
		l := newLive(t, func(o *trackerhttp.Config) { o.BodyReadTimeout = time.Minute })
		conn := l.rawRequest(t, "PUT", "/api/v2/flows/acme", "", 100000)
		io.WriteString(conn, "{")
		if got := readStatus(t, conn, 10*time.Second); !strings.HasPrefix(got, "HTTP/1.1 401") {
			t.Fatalf("status line %q, want 401", got)
		}
	})
	t.Run("unauthenticated report gets 401 before its body", func(t *testing.T) {
		l := newLive(t, func(o *trackerhttp.Config) { o.BodyReadTimeout = time.Minute })
		l.seed()
		conn := l.rawRequest(t, "PUT", "/api/v2/environments/acme/aws-beta/report/docker", "wrong", 100000)
		io.WriteString(conn, `{"artifacts": [`)
		if got := readStatus(t, conn, 10*time.Second); !strings.HasPrefix(got, "HTTP/1.1 401") {
			t.Fatalf("status line %q, want 401", got)
		}
	})
	t.Run("a body at 1 byte/s is cut off at the bound", func(t *testing.T) {
		const bound = 2 * time.Second
		l := newLive(t, func(o *trackerhttp.Config) { o.BodyReadTimeout = bound })
		body := `{"name": "slow", "description": "` + strings.Repeat("x", 100) + `"}`
		conn := l.rawRequest(t, "PUT", "/api/v2/flows/acme", l.token, len(body))
		stop := make(chan struct{})
		defer close(stop)
		go dribble(conn, body, stop)
		start := time.Now()
		got := readStatus(t, conn, bound+8*time.Second)
		if d := time.Since(start); d < bound-time.Second/2 {
			t.Fatalf("answered after %s, before the %s bound: %q", d, bound, got)
		}
		t.Logf("after %s: %q", time.Since(start).Round(time.Millisecond), got)
		if got != "" && !strings.HasPrefix(got, "HTTP/1.1 408") {
			t.Fatalf("status line %q, want 408 or a closed connection", got)
		}
		if r := l.do("GET", "/api/v2/flows/acme/slow", l.token, nil); r.Status != 404 {
			t.Fatalf("the cut-off flow was created: %d %s", r.Status, r.Body)
		}
		if strings.Contains(l.log.String(), "level=ERROR") {
			t.Fatalf("a slow client was logged as a server error:\n%s", l.log)
		}
	})
}

// TestClientHangsUpMidBody: a client that goes away halfway through its
// body is the client's failure (4xx in the request log), not a 500.
func TestClientHangsUpMidBody(t *testing.T) {
	l := newLive(t)
	l.seed()
	conn := l.rawRequest(t, "PUT", "/api/v2/environments/acme/aws-beta/report/docker", l.token, 1000)
	io.WriteString(conn, `{"artifacts": [{"digests": {"a": "`)
	conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(l.log.String(), "path=/api/v2/environments/acme/aws-beta/report/docker") {
		if time.Now().After(deadline) {
			t.Fatalf("no request logged:\n%s", l.log)
		}
		time.Sleep(10 * time.Millisecond)
	}
	logs := l.log.String()
	logs = logs[max(0, strings.Index(logs, "path=/api/v2/environments/acme/aws-beta/report/docker")-200):]
	if strings.Contains(logs, "level=ERROR") || strings.Contains(logs, "status=500") || !strings.Contains(logs, "status=400") {
		t.Fatalf("hang-up mid-body logged as a server error, want status=400 at info:\n%s", logs)
	}
}

// TestUnknownMethodsDoNotGrowMetrics: 5,000 made-up methods add one label
// value to /metrics, not 5,000.
func TestUnknownMethodsDoNotGrowMetrics(t *testing.T) {
	l := newLive(t)
	metrics := func() string {
		resp, err := http.Get(l.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	before := len(metrics())
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	for i := range 5000 {
		req, _ := http.NewRequest(fmt.Sprintf("MADEUP%d", i), l.url+"/api/v2/flows/acme", nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	after := metrics()
	t.Logf("/metrics: %d bytes before, %d after 5,000 made-up methods", before, len(after))
	if strings.Contains(after, "MADEUP") {
		t.Fatalf("a made-up method became a label")
	}
	if !strings.Contains(after, `method="other"`) {
		t.Fatalf("made-up methods not counted as method=\"other\"")
	}
	if len(after) > before+20000 {
		t.Fatalf("/metrics grew from %d to %d bytes", before, len(after))
	}
}

// TestMetricsElsewhere: NewWithMetrics serves /metrics on its own handler
// (for --metrics-addr) and not on the API's.
func TestMetricsElsewhere(t *testing.T) {
	e := newEnv(t)
	apiH, metricsH := trackerhttp.NewWithMetrics(e.store, trackerhttp.Config{Now: e.clk.Now})
	apiSrv, metricsSrv := httptest.NewServer(apiH), httptest.NewServer(metricsH)
	defer apiSrv.Close()
	defer metricsSrv.Close()
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get(apiSrv.URL + "/ready"); code != 200 {
		t.Fatalf("/ready = %d", code)
	}
	if code, _ := get(apiSrv.URL + "/metrics"); code != 404 {
		t.Fatalf("API's /metrics = %d, want 404 when metrics listen elsewhere", code)
	}
	code, body := get(metricsSrv.URL + "/metrics")
	if code != 200 || !strings.Contains(body, `tracker_http_requests_total{code="200",method="GET",route="/ready"} 1`) {
		t.Fatalf("metrics = %d, want the API's request counted:\n%.2000s", code, body)
	}
}
