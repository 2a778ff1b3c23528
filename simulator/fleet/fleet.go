// Package fleet runs the course scenario against every student group at
// once, for weeks: one sequential replay per group on the scenario's
// recorded schedule compressed by a speedup, each group with its own
// connections and limits (a dead or slow group never delays another), a
// durable record of completed actions so a restart of the fleet or of a
// group never resends an action the group acknowledged, per-minute result
// windows and the error log in the store (package store), periodic
// consistency checks, and a server-rendered dashboard (Handler).
//
// It is built on the simulator's engine: requests, budget, outcome classes
// and error texts come from replay.Engine.Send, the error lines from
// report.ErrorLine. The package never logs or exits; events go to the
// Logf function the caller gives.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/minitwit-cd/kit/simulator/fleet/store"
	"github.com/minitwit-cd/kit/simulator/report"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

// Config configures a Fleet. Scenario and Speedup are required.
type Config struct {
	// Scenario is the scenario file every group replays.
	Scenario string
	// Speedup compresses the recorded delays (1 is the course's pace).
	Speedup float64
	// Budget is the per-request budget, default 300 ms.
	Budget time.Duration
	// KeepAlive reuses connections; off by default, like the course's
	// script (Connection: close), so the connect phase is measured.
	KeepAlive bool
	// Limit replays at most this many actions per group (0: all).
	Limit int64
	// CheckEvery is the period of the consistency checks (default 1 min;
	// 0 keeps the default, negative turns them off).
	CheckEvery time.Duration
	// FlushEvery is how often the current windows are written to the
	// store (default 5 s): a crash loses at most that much of a window.
	FlushEvery time.Duration
	// Logf receives one line per event (start, stop, reload, store
	// failures); nil discards them.
	Logf func(format string, args ...any)
}

// Fleet runs one replay per group.
type Fleet struct {
	cfg Config
	st  *store.Store

	mu        sync.Mutex
	ctx       context.Context
	runners   map[string]*runner
	groups    []Group
	configErr string
	wg        sync.WaitGroup
	// leased: groups start when this worker wins their lease (RunLeased),
	// not at Start or Reload.
	leased bool
	worker string // this worker's name under leases
}

// New checks the configuration and the scenario file (it is read once to
// the end, so a malformed line is reported before anything is sent).
func New(st *store.Store, cfg Config) (*Fleet, error) {
	if !(cfg.Speedup > 0) {
		return nil, fmt.Errorf("fleet: speedup %g: must be positive", cfg.Speedup)
	}
	if cfg.Budget <= 0 {
		cfg.Budget = report.DefaultBudget
	}
	if cfg.CheckEvery == 0 {
		cfg.CheckEvery = time.Minute
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = 5 * time.Second
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if err := checkScenario(cfg.Scenario); err != nil {
		return nil, err
	}
	return &Fleet{cfg: cfg, st: st, runners: map[string]*runner{}}, nil
}

func checkScenario(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("fleet: scenario: %w", err)
	}
	defer f.Close()
	r := scenario.NewReader(f)
	n := 0
	for {
		_, err := r.Next()
		if errors.Is(err, errEOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("fleet: scenario %s: %w", path, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("fleet: scenario %s: no actions", path)
	}
	return nil
}

// Store returns the fleet's store.
func (f *Fleet) Store() *store.Store { return f.st }

// Start checks every group's /latest (concurrently, each within the
// budget), records the answers as "prestart" checks, starts one replay per
// group and returns the checks, in the groups' order. The replays run
// until ctx ends; Wait waits for them.
func (f *Fleet) Start(ctx context.Context, groups []Group) []store.Check {
	f.mu.Lock()
	f.ctx = ctx
	f.groups = groups
	f.mu.Unlock()
	checks := make([]store.Check, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			checks[i] = PrestartCheck(ctx, g, f.cfg.Budget)
			if err := f.st.AddCheck(ctx, checks[i]); err != nil {
				f.cfg.Logf("%s: %v", g.ID, err)
			}
		}()
	}
	wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, g := range groups {
		f.startLocked(g)
	}
	return checks
}

// startLocked starts g's runner; f.mu is held.
func (f *Fleet) startLocked(g Group) {
	r, err := newRunner(f, g)
	if err != nil {
		f.cfg.Logf("%s: not started: %v", g.ID, err)
		return
	}
	f.runners[g.ID] = r
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		r.run(f.ctx)
	}()
}

// ReloadResult says what a reload changed.
type ReloadResult struct {
	Started, Stopped, Restarted, Renamed []string
}

// Reload applies a new groups list: new groups start, removed ones stop,
// a group whose API or web URL changed is stopped and started again (it
// resumes after its last completed action); the others keep running
// untouched.
func (f *Fleet) Reload(groups []Group) ReloadResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.configErr = ""
	var res ReloadResult
	want := map[string]Group{}
	for _, g := range groups {
		want[g.ID] = g
	}
	for id, r := range f.runners {
		if _, ok := want[id]; !ok {
			r.stop()
			delete(f.runners, id)
			res.Stopped = append(res.Stopped, id)
		}
	}
	for _, g := range groups {
		r, ok := f.runners[g.ID]
		switch {
		case !ok && f.leased:
			// Started by whichever worker wins its lease.
		case !ok:
			f.startLocked(g)
			res.Started = append(res.Started, g.ID)
		case r.group().API != g.API || r.group().Web != g.Web:
			r.stop()
			f.startLocked(g)
			res.Restarted = append(res.Restarted, g.ID)
		default:
			if r.setGroup(g) {
				res.Renamed = append(res.Renamed, g.ID)
			}
		}
	}
	f.groups = groups
	for _, l := range []*[]string{&res.Started, &res.Stopped, &res.Restarted, &res.Renamed} {
		sort.Strings(*l)
	}
	f.cfg.Logf("reload: started %v, stopped %v, restarted %v, updated %v", res.Started, res.Stopped, res.Restarted, res.Renamed)
	return res
}

// ReloadFailed records that a reload was refused (a malformed groups
// file): the running configuration stays, and the dashboard shows err.
func (f *Fleet) ReloadFailed(err error) {
	f.mu.Lock()
	f.configErr = err.Error()
	f.mu.Unlock()
	f.cfg.Logf("reload refused, keeping the running groups: %v", err)
}

// Wait waits until every replay has stopped (ctx ended or scenario done)
// and its windows are written.
func (f *Fleet) Wait() { f.wg.Wait() }

// Groups returns the configured groups, in the file's order.
func (f *Fleet) Groups() []Group {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Group(nil), f.groups...)
}

// ConfigError returns the last refused reload's message ("" when the
// running file is the latest).
func (f *Fleet) ConfigError() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.configErr
}

// Live returns the in-memory state of a group's replay, false when it has
// none on this worker.
func (f *Fleet) Live(id string) (LiveStatus, bool) {
	f.mu.Lock()
	r := f.runners[id]
	f.mu.Unlock()
	if r == nil {
		return LiveStatus{}, false
	}
	return r.status(), true
}
