package systemtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// simAuth is the course simulator's Authorization header (simulator:super_safe!).
const simAuth = "Basic c2ltdWxhdG9yOnN1cGVyX3NhZmUh"

// simClient speaks the simulator API like the course's simulator script.
type simClient struct {
	base string
	http *http.Client
	// auth is sent as the Authorization header unless empty.
	auth string
}

// newSimClient returns a client like the course's simulator, a new
// connection per request (Connection: close), but with a patient timeout:
// these tests assert statuses and state, and the 300 ms rule is measured
// where timing is honest (scripts/bench.sh, the simulator's benchmarks),
// not asserted in a test that a loaded CI machine would make flaky.
func newSimClient(base string) *simClient {
	return &simClient{
		base: base,
		auth: simAuth,
		http: &http.Client{
			Timeout:   10 * time.Second,
			Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
		},
	}
}

// newPooledClient returns a keep-alive client with a generous timeout, for
// tests about correctness rather than latency.
func newPooledClient(base string, timeout time.Duration) *simClient {
	return &simClient{
		base: base,
		auth: simAuth,
		http: &http.Client{
			Timeout:   timeout,
			Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64},
		},
	}
}

// call sends method to path (already escaped) with latest (when >= 0) and
// body marshalled as JSON (when non-nil), and returns the status and body.
func (c *simClient) call(method, path string, latest int64, body any) (int, []byte, error) {
	if latest >= 0 {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "latest=" + strconv.FormatInt(latest, 10)
	}
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return 0, nil, err
		}
	}
	return c.raw(method, path, b)
}

// raw sends method to pathQuery with body as JSON (when non-nil).
func (c *simClient) raw(method, pathQuery string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+pathQuery, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// must calls and fails the test unless the status is want.
func (c *simClient) must(t testing.TB, want int, method, path string, latest int64, body any) []byte {
	t.Helper()
	status, b, err := c.call(method, path, latest, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, status, want, b)
	}
	return b
}

// simMessage is a message as the simulator API returns it.
type simMessage struct {
	Content string `json:"content"`
	PubDate int64  `json:"pub_date"`
	User    string `json:"user"`
}

// userPath escapes a username as a path segment ("Roger Histand" -> "Roger%20Histand").
func userPath(prefix, name string) string {
	return prefix + url.PathEscape(name)
}

// messages returns GET path?no=no decoded.
func (c *simClient) messages(t testing.TB, path string, no int) []simMessage {
	t.Helper()
	b := c.must(t, http.StatusOK, http.MethodGet, fmt.Sprintf("%s?no=%d", path, no), -1, nil)
	var ms []simMessage
	if err := json.Unmarshal(b, &ms); err != nil {
		t.Fatalf("GET %s: decode %q: %v", path, b, err)
	}
	return ms
}

// follows returns whom user follows (GET /fllws/<user>?no=no).
func (c *simClient) follows(t testing.TB, user string, no int) []string {
	t.Helper()
	b := c.must(t, http.StatusOK, http.MethodGet, fmt.Sprintf("%s?no=%d", userPath("/fllws/", user), no), -1, nil)
	var f struct {
		Follows []string `json:"follows"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("GET /fllws/%s: decode %q: %v", user, b, err)
	}
	return f.Follows
}

// latest returns GET /latest.
func (c *simClient) latest(t testing.TB) int64 {
	t.Helper()
	b := c.must(t, http.StatusOK, http.MethodGet, "/latest", -1, nil)
	var l struct {
		Latest *int64 `json:"latest"`
	}
	if err := json.Unmarshal(b, &l); err != nil || l.Latest == nil {
		t.Fatalf("GET /latest: body %q is not {\"latest\": N} (%v)", b, err)
	}
	return *l.Latest
}
