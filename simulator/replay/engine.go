// Package replay is the simulator's engine: it replays a scenario against a
// MiniTwit target with the course's rules (one request per action, latest=ID,
// the Authorization header, a hard per-request budget), keeps causal order
// under concurrency, classifies every outcome, checks the target's state
// afterwards and runs open-model load tests. Requests are fired by
// tsenart/vegeta's Attacker; ordering, pacing and classification are the
// engine's own, because vegeta does not keep send order.
//
// The engine never logs or exits: a failed request is data, handed to the
// observer as a report.Sample.
package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minitwit-cd/kit/simulator/report"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

// Mode is how a replay paces its actions.
type Mode int

const (
	// Max sends each action as soon as its dependencies have completed and
	// a connection slot is free: as fast as the target answers.
	Max Mode = iota
	// Compat behaves like the course's script: one action at a time,
	// Connection: close, sleeping Delay/1e8 seconds before each action.
	Compat
	// Speedup replays the recorded delays compressed by a factor: action i
	// is scheduled at start + (sum of delays up to i) ms / factor.
	Speedup
)

// String names the mode as the CLI spells it.
func (m Mode) String() string {
	switch m {
	case Max:
		return "max"
	case Compat:
		return "compat"
	case Speedup:
		return "speedup"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// CompatDivisor is the course script's delay scaling: it sleeps
// Delay/CompatDivisor seconds before each action.
const CompatDivisor = 1e8

// ErrBadTarget is returned by New for a target that is not an absolute
// http(s) URL.
var ErrBadTarget = errors.New("target must be an absolute http:// or https:// URL")

// Source yields actions in scenario order; *scenario.Reader is one. Next
// returns io.EOF at the end.
type Source interface {
	Next() (scenario.Action, error)
}

type config struct {
	mode          Mode
	speedup       float64
	concurrency   int
	timeout       time.Duration
	authorization string
	keepAlive     bool
	keepAliveSet  bool
	limit         int64
	after         int64
	loadWorkers   int
	resume        *Resume
	observe       func(report.Sample)
	model         *Model
}

// Option configures an Engine.
type Option func(*config)

// WithMode sets the pacing mode (default Max).
func WithMode(m Mode) Option { return func(c *config) { c.mode = m } }

// WithSpeedup selects Speedup mode with the given compression factor
// (100000 replays the course file in about the compat mode's 60 s).
func WithSpeedup(x float64) Option {
	return func(c *config) { c.mode, c.speedup = Speedup, x }
}

// WithConcurrency bounds the number of requests in flight (default 1; the
// Compat mode always uses 1).
func WithConcurrency(n int) Option { return func(c *config) { c.concurrency = n } }

// WithTimeout sets the per-request budget (default 300 ms): a request
// without an answer by then is a Timeout.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithAuthorization sets the Authorization header value (default the
// course's scenario.Authorization).
func WithAuthorization(v string) Option { return func(c *config) { c.authorization = v } }

// WithKeepAlive turns connection reuse on or off. The default is on, except
// in Compat mode, which sends Connection: close like the course's script.
func WithKeepAlive(on bool) Option {
	return func(c *config) { c.keepAlive, c.keepAliveSet = on, true }
}

// WithLimit replays at most n actions (after any skipped by WithAfter); 0
// means all.
func WithLimit(n int64) Option { return func(c *config) { c.limit = n } }

// WithAfter skips the actions with an ID <= id, to resume after the
// target's /latest. They still count as done for ordering and for the
// verification model. The default, -1, skips nothing.
func WithAfter(id int64) Option { return func(c *config) { c.after = id } }

// WithLoadWorkers bounds a load test's requests in flight (Load, LoadMix)
// at n and keeps that many connections open for reuse. The default, 0, is
// enough workers to keep the rate while every request uses its whole
// budget; with a long timeout against a target that falls behind, that can
// be tens of thousands of connections, which a benchmark caps.
func WithLoadWorkers(n int) Option { return func(c *config) { c.loadWorkers = n } }

// WithResume skips the actions r says are done (at or before r.Point, or
// acknowledged above it), to resume a replay from its Stats.Resume (or the
// report document's resume) without resending anything acknowledged. Like
// WithAfter's, the skipped actions count as done and successful.
func WithResume(r Resume) Option { return func(c *config) { c.resume = &r } }

// WithObserver receives every sample, from one goroutine at a time, in
// completion order.
func WithObserver(f func(report.Sample)) Option { return func(c *config) { c.observe = f } }

// WithModel has the replay feed the actions' outcomes into m, for Verify.
func WithModel(m *Model) Option { return func(c *config) { c.model = m } }

// Engine replays scenarios against one target.
type Engine struct {
	base   string // target URL without a trailing slash
	cfg    config
	client *http.Client
}

// New returns an Engine for the target base URL, which may carry a path
// prefix and a port (http://host:8081/api/v1).
func New(target string, opts ...Option) (*Engine, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("target %q: %w", target, ErrBadTarget)
	}
	cfg := config{concurrency: 1, timeout: report.DefaultBudget, authorization: scenario.Authorization, after: -1, keepAlive: true}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.mode == Compat {
		cfg.concurrency = 1
		if !cfg.keepAliveSet {
			cfg.keepAlive = false
		}
	}
	if cfg.concurrency < 1 {
		return nil, fmt.Errorf("concurrency %d: must be at least 1", cfg.concurrency)
	}
	if cfg.timeout <= 0 {
		return nil, fmt.Errorf("timeout %s: must be positive", cfg.timeout)
	}
	if cfg.mode == Speedup && !(cfg.speedup > 0) {
		return nil, fmt.Errorf("speedup %g: must be positive", cfg.speedup)
	}
	e := &Engine{base: strings.TrimRight(target, "/"), cfg: cfg}
	if cfg.loadWorkers < 0 {
		return nil, fmt.Errorf("load workers %d: must not be negative", cfg.loadWorkers)
	}
	e.client = newClient(cfg.timeout, max(cfg.concurrency, cfg.loadWorkers), cfg.keepAlive)
	return e, nil
}

// Target returns the base URL the engine sends to.
func (e *Engine) Target() string { return e.base }

// Config describes the engine's effective settings, for reports.
func (e *Engine) Config() (mode Mode, concurrency int, timeout time.Duration, keepAlive bool) {
	return e.cfg.mode, e.cfg.concurrency, e.cfg.timeout, e.cfg.keepAlive
}

// newClient builds the HTTP client every request goes through: no proxy
// (traffic goes to the target and nowhere else), no redirects (a 3xx is a
// wrong status), the budget as the whole exchange's timeout.
func newClient(timeout time.Duration, conns int, keepAlive bool) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !keepAlive {
		dialer.KeepAlive = -1
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		MaxIdleConns:        2 * conns,
		MaxIdleConnsPerHost: 2 * conns,
		IdleConnTimeout:     90 * time.Second,
		DisableKeepAlives:   !keepAlive,
		DisableCompression:  true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Close releases idle connections.
func (e *Engine) Close() { e.client.CloseIdleConnections() }

// requestHeader is the header of every scenario request (replay and load).
func (e *Engine) requestHeader() http.Header {
	return http.Header{"Authorization": {e.cfg.authorization}, "Content-Type": {"application/json"}}
}

// Latest asks the target's GET /latest and returns its value (-1 for an
// empty database).
func (e *Engine) Latest(ctx context.Context) (int64, error) {
	var body struct {
		Latest *int64 `json:"latest"`
	}
	if err := e.getJSON(ctx, "/latest", e.cfg.timeout, &body); err != nil {
		return 0, err
	}
	if body.Latest == nil {
		return 0, fmt.Errorf("GET %s/latest: no \"latest\" field in the answer", e.base)
	}
	return *body.Latest, nil
}

// getJSON GETs base+path with the Authorization header and decodes a 200
// answer into v.
func (e *Engine) getJSON(ctx context.Context, path string, timeout time.Duration, v any) error {
	status, b, err := e.get(ctx, path, timeout)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("GET %s%s: status %d: %s", e.base, path, status, snippet(b))
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s%s: answer is not the expected JSON (%w): %s", e.base, path, err, snippet(b))
	}
	return nil
}

// Get GETs base+path (path may carry a query) with the Authorization
// header through the engine's own connections, within the engine's budget,
// and returns the status and up to 8 MiB of the body. A transport failure
// is an error naming its cause; any HTTP answer is not.
func (e *Engine) Get(ctx context.Context, path string) (int, []byte, error) {
	return e.get(ctx, path, e.cfg.timeout)
}

func (e *Engine) get(ctx context.Context, path string, timeout time.Duration) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base+path, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("GET %s%s: %w", e.base, path, err)
	}
	req.Header.Set("Authorization", e.cfg.authorization)
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("GET %s%s: %s", e.base, path, describeError(err.Error()))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("GET %s%s: read body: %w", e.base, path, err)
	}
	return resp.StatusCode, b, nil
}

// snippet shortens a body for an error message.
func snippet(b []byte) string {
	s := strings.ToValidUTF8(strings.TrimSpace(string(b)), "?")
	s = strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
