// Package store keeps the simulator fleet's durable state in SQLite (a file
// path) or PostgreSQL (a postgres:// URL): per group the progress record
// (the last action completed, so a restart never resends one a group
// acknowledged), per-group per-minute windows of counts by command and
// outcome with an HDR latency histogram and the httptrace phase sums, the
// group's error log in the course's line format, and the results of the
// consistency checks. Nothing is stored per successful request, so the
// store grows with time and groups, never with traffic.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "github.com/mattn/go-sqlite3"    // database/sql driver "sqlite3"

	"github.com/minitwit-cd/kit/simulator/report"
)

// NumOutcomes is the number of outcome classes a window counts, indexed by
// report.Outcome (ok, late, timeout, connection error, wrong status,
// consequence).
const NumOutcomes = int(report.Consequence) + 1

// Histogram bounds: microseconds from 1 µs to 5 min, two significant
// digits (a window histogram is stored once a minute per command).
const (
	histMax    = int64(5 * time.Minute / time.Microsecond)
	histDigits = 2
)

// MaxErrorsPerGroup bounds each group's error log; older lines are pruned.
const MaxErrorsPerGroup = 20000

// MaxChecksPerKind bounds each group's history of each check kind (a
// week of checks once a minute); older ones are pruned.
const MaxChecksPerKind = 10080

// NewHistogram returns an empty latency histogram in microseconds, the
// shape every window uses.
func NewHistogram() *hdr.Histogram { return hdr.New(1, histMax, histDigits) }

// Store is the fleet's durable state. It is safe for concurrent use.
type Store struct {
	db *sql.DB
	pg bool
	// SQLite has one writer; serialising writes here avoids busy errors.
	wmu sync.Mutex
	// checks counts AddCheck calls, to prune now and then.
	checks int64
}

// Progress is a group's durable replay position.
type Progress struct {
	// Group is the group's id.
	Group string `json:"group"`
	// Done is the highest action ID whose request completed (answered or
	// failed); the replay resumes after it. -1 before the first.
	Done int64 `json:"done"`
	// Acked is the highest action ID the group answered with an accepted
	// status; -1 before the first.
	Acked int64 `json:"acked"`
	// InFlight is the action about to be sent or in flight (written
	// before it leaves); when it is above Done after a crash, the group's
	// /latest tells whether it arrived. -1 when none.
	InFlight int64 `json:"in_flight"`
	// Sent counts the requests sent, over all runs.
	Sent int64 `json:"sent"`
	// DownSince is when the group stopped answering (zero while it
	// answers).
	DownSince time.Time `json:"down_since"`
	// Updated is the time of the last change.
	Updated time.Time `json:"updated"`
}

// Window is one group's counts for one command over one minute.
type Window struct {
	Group string
	// Start is the window's minute, UTC.
	Start   time.Time
	Command string
	// Counts are indexed by report.Outcome.
	Counts [NumOutcomes]int64
	// Hist holds the latencies in microseconds (from the scheduled send
	// time to the answer).
	Hist *hdr.Histogram
	// Traced requests contributed their phases: the sums of DNS lookup,
	// TCP connect, TLS handshake and time to first byte (from the request
	// written to the first response byte: the group's app), and Conns the
	// number of new connections.
	Traced                  int64
	DNS, Connect, TLS, TTFB time.Duration
	Conns                   int64
	// LateSendMax is the worst scheduling lateness (send after its
	// scheduled time) in the window.
	LateSendMax time.Duration
}

// Total returns the number of requests in the window.
func (w *Window) Total() int64 {
	var n int64
	for _, c := range w.Counts {
		n += c
	}
	return n
}

// Merge adds o into w (same group and minute, any command).
func (w *Window) Merge(o *Window) {
	for i, c := range o.Counts {
		w.Counts[i] += c
	}
	if o.Hist != nil {
		if w.Hist == nil {
			w.Hist = NewHistogram()
		}
		w.Hist.Merge(o.Hist)
	}
	w.Traced += o.Traced
	w.DNS += o.DNS
	w.Connect += o.Connect
	w.TLS += o.TLS
	w.TTFB += o.TTFB
	w.Conns += o.Conns
	w.LateSendMax = max(w.LateSendMax, o.LateSendMax)
}

// ErrorEntry is one line of a group's error log.
type ErrorEntry struct {
	Group string    `json:"group"`
	At    time.Time `json:"at"`
	// Line is the course script's line (report.CourseLine):
	// TS,HOST,LATEST,STATUS,COMMAND or TS,HOST,LATEST,ReadTimeout ...
	Line string `json:"line"`
	// Detail is the simulator's description of the failure.
	Detail string `json:"detail"`
}

// Check is the result of one consistency check of a group.
type Check struct {
	Group string    `json:"group"`
	At    time.Time `json:"at"`
	// Kind is prestart (the /latest before the start), latest (/latest
	// against the latest action sent), msgs (the newest tweets sent in GET
	// /msgs) or web (in the public timeline).
	Kind string `json:"kind"`
	OK   bool   `json:"ok"`
	// Value is what the group reported (/latest), Want what the fleet
	// expected; -2 when not applicable.
	Value int64 `json:"value"`
	Want  int64 `json:"want"`
	// Class names the kind of answer (ok, not empty, wrong status,
	// garbage, unreachable, missing ...); Detail says more.
	Class  string `json:"class"`
	Detail string `json:"detail"`
}

// Open opens (and migrates) the store: a postgres:// or postgresql:// URL
// for PostgreSQL, anything else a SQLite file path.
func Open(ctx context.Context, dsn string) (*Store, error) {
	s := &Store{pg: strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")}
	var err error
	if s.pg {
		s.db, err = sql.Open("pgx", dsn)
	} else {
		s.db, err = sql.Open("sqlite3", "file:"+dsn+"?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000&_txlock=immediate")
		if err == nil {
			s.db.SetMaxOpenConns(4)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB returns the underlying database, for the leases of several workers.
func (s *Store) DB() *sql.DB { return s.db }

// Postgres reports whether the store is on PostgreSQL.
func (s *Store) Postgres() bool { return s.pg }

func (s *Store) migrate(ctx context.Context) error {
	blob := "BLOB"
	if s.pg {
		blob = "BYTEA"
	}
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS fleet_progress (
			group_id TEXT PRIMARY KEY, done BIGINT NOT NULL, acked BIGINT NOT NULL, in_flight BIGINT NOT NULL,
			sent BIGINT NOT NULL, down_since BIGINT NOT NULL, updated BIGINT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS fleet_windows (
			group_id TEXT NOT NULL, minute BIGINT NOT NULL, command TEXT NOT NULL,
			ok BIGINT NOT NULL, late BIGINT NOT NULL, timeout BIGINT NOT NULL,
			conn_error BIGINT NOT NULL, wrong_status BIGINT NOT NULL, consequence BIGINT NOT NULL,
			hist ` + blob + `, traced BIGINT NOT NULL, dns_us BIGINT NOT NULL, connect_us BIGINT NOT NULL,
			tls_us BIGINT NOT NULL, ttfb_us BIGINT NOT NULL, conns BIGINT NOT NULL, late_send_max_us BIGINT NOT NULL,
			PRIMARY KEY (group_id, minute, command))`,
		`CREATE TABLE IF NOT EXISTS fleet_errors (
			group_id TEXT NOT NULL, at_us BIGINT NOT NULL, seq BIGINT NOT NULL, line TEXT NOT NULL, detail TEXT NOT NULL,
			PRIMARY KEY (group_id, seq))`,
		`CREATE TABLE IF NOT EXISTS fleet_checks (
			group_id TEXT NOT NULL, at_us BIGINT NOT NULL, kind TEXT NOT NULL, ok BOOLEAN NOT NULL,
			value BIGINT NOT NULL, want BIGINT NOT NULL, class TEXT NOT NULL, detail TEXT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS fleet_checks_group ON fleet_checks (group_id, kind, at_us)`,
	}
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
	}
	return nil
}

// q rewrites ? placeholders as $1, $2 … for PostgreSQL.
func (s *Store) q(query string) string {
	if !s.pg {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Store) exec(ctx context.Context, query string, args ...any) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err := s.db.ExecContext(ctx, s.q(query), args...)
	return err
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// Progress returns a group's record; a group never seen has Done and Acked
// -1.
func (s *Store) Progress(ctx context.Context, group string) (Progress, error) {
	p := Progress{Group: group, Done: -1, Acked: -1, InFlight: -1}
	var down, upd int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT done, acked, in_flight, sent, down_since, updated FROM fleet_progress WHERE group_id = ?`), group).
		Scan(&p.Done, &p.Acked, &p.InFlight, &p.Sent, &down, &upd)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("store: progress of %s: %w", group, err)
	}
	p.DownSince, p.Updated = fromMicros(down), fromMicros(upd)
	return p, nil
}

// SaveProgress writes a group's record, durably (it has committed when
// SaveProgress returns: a crash afterwards does not lose it).
func (s *Store) SaveProgress(ctx context.Context, p Progress) error {
	if err := s.exec(ctx, progressUpsert, progressArgs(p)...); err != nil {
		return fmt.Errorf("store: save progress of %s: %w", p.Group, err)
	}
	return nil
}

const progressUpsert = `INSERT INTO fleet_progress (group_id, done, acked, in_flight, sent, down_since, updated) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (group_id) DO UPDATE SET done = excluded.done, acked = excluded.acked, in_flight = excluded.in_flight, sent = excluded.sent,
		down_since = excluded.down_since, updated = excluded.updated`

func progressArgs(p Progress) []any {
	return []any{p.Group, p.Done, p.Acked, p.InFlight, p.Sent, micros(p.DownSince), micros(p.Updated)}
}

// ErrLeaseLost is SaveProgressHeld's answer when the worker no longer
// holds the group's lease.
var ErrLeaseLost = errors.New("lease lost")

// SaveProgressHeld is SaveProgress for a worker sharing the groups under
// leases (PostgreSQL; the fleet_leases table is the fleet's): the write
// happens only while holder's lease on the group is unexpired at now, in
// the same statement, and ErrLeaseLost says it did not. A worker that
// stalled past its lease (a pause, a frozen VM) therefore neither
// overwrites the new holder's progress nor, since it records its intent
// before each send, sends again what the new holder sends. (A group's
// very first row, before any lease could be lost, is written as is.)
func (s *Store) SaveProgressHeld(ctx context.Context, p Progress, holder string, now time.Time) error {
	if !s.pg {
		return errors.New("store: leases need the PostgreSQL store")
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	res, err := s.db.ExecContext(ctx, s.q(progressUpsert+`
		WHERE EXISTS (SELECT 1 FROM fleet_leases l WHERE l.group_id = excluded.group_id AND l.holder = ? AND l.expires > ?)`),
		append(progressArgs(p), holder, now.UnixMilli())...)
	if err != nil {
		return fmt.Errorf("store: save progress of %s: %w", p.Group, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: save progress of %s: %w", p.Group, err)
	} else if n == 0 {
		return fmt.Errorf("store: save progress of %s: %w (held by another worker now)", p.Group, ErrLeaseLost)
	}
	return nil
}

// SaveWindows writes windows (their whole state, replacing what is
// stored for the same group, minute and command), in one transaction.
func (s *Store) SaveWindows(ctx context.Context, ws []*Window) error {
	if len(ws) == 0 {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: save windows: %w", err)
	}
	defer tx.Rollback()
	query := s.q(`INSERT INTO fleet_windows (group_id, minute, command, ok, late, timeout, conn_error, wrong_status, consequence,
		hist, traced, dns_us, connect_us, tls_us, ttfb_us, conns, late_send_max_us)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (group_id, minute, command) DO UPDATE SET ok = excluded.ok, late = excluded.late,
		timeout = excluded.timeout, conn_error = excluded.conn_error, wrong_status = excluded.wrong_status,
		consequence = excluded.consequence, hist = excluded.hist, traced = excluded.traced, dns_us = excluded.dns_us,
		connect_us = excluded.connect_us, tls_us = excluded.tls_us, ttfb_us = excluded.ttfb_us, conns = excluded.conns,
		late_send_max_us = excluded.late_send_max_us`)
	for _, w := range ws {
		var hb []byte
		if w.Hist != nil {
			if hb, err = w.Hist.Encode(hdr.V2CompressedEncodingCookieBase); err != nil {
				return fmt.Errorf("store: encode histogram of %s: %w", w.Group, err)
			}
		}
		c := w.Counts
		if _, err := tx.ExecContext(ctx, query, w.Group, w.Start.Unix(), w.Command, c[0], c[1], c[2], c[3], c[4], c[5], hb,
			w.Traced, w.DNS.Microseconds(), w.Connect.Microseconds(), w.TLS.Microseconds(), w.TTFB.Microseconds(),
			w.Conns, w.LateSendMax.Microseconds()); err != nil {
			return fmt.Errorf("store: save window %s %s: %w", w.Group, w.Start.Format(time.RFC3339), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: save windows: %w", err)
	}
	return nil
}

// Windows returns a group's windows (every group's when group is "") with
// since <= start < until, ordered by group, minute and command.
func (s *Store) Windows(ctx context.Context, group string, since, until time.Time) ([]*Window, error) {
	query := `SELECT group_id, minute, command, ok, late, timeout, conn_error, wrong_status, consequence,
		hist, traced, dns_us, connect_us, tls_us, ttfb_us, conns, late_send_max_us FROM fleet_windows
		WHERE minute >= ? AND minute < ?`
	args := []any{since.Unix(), until.Unix()}
	if group != "" {
		query += ` AND group_id = ?`
		args = append(args, group)
	}
	query += ` ORDER BY group_id, minute, command`
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: windows: %w", err)
	}
	defer rows.Close()
	var ws []*Window
	for rows.Next() {
		w := &Window{}
		var (
			minute                       int64
			hb                           []byte
			dns, conn, tls, ttfb, lateUS int64
		)
		c := &w.Counts
		if err := rows.Scan(&w.Group, &minute, &w.Command, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &hb,
			&w.Traced, &dns, &conn, &tls, &ttfb, &w.Conns, &lateUS); err != nil {
			return nil, fmt.Errorf("store: windows: %w", err)
		}
		w.Start = time.Unix(minute, 0).UTC()
		w.DNS, w.Connect, w.TLS, w.TTFB = time.Duration(dns)*time.Microsecond, time.Duration(conn)*time.Microsecond,
			time.Duration(tls)*time.Microsecond, time.Duration(ttfb)*time.Microsecond
		w.LateSendMax = time.Duration(lateUS) * time.Microsecond
		if len(hb) > 0 {
			if w.Hist, err = hdr.Decode(hb); err != nil {
				return nil, fmt.Errorf("store: decode histogram of %s %s: %w", w.Group, w.Start.Format(time.RFC3339), err)
			}
		} else {
			w.Hist = NewHistogram()
		}
		ws = append(ws, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: windows: %w", err)
	}
	return ws, nil
}

// AddError appends a line to the group's error log and prunes the log to
// MaxErrorsPerGroup lines now and then.
func (s *Store) AddError(ctx context.Context, e ErrorEntry) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var seq int64
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COALESCE(MAX(seq), 0) FROM fleet_errors WHERE group_id = ?`), e.Group).Scan(&seq); err != nil {
		return fmt.Errorf("store: add error of %s: %w", e.Group, err)
	}
	seq++
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO fleet_errors (group_id, at_us, seq, line, detail) VALUES (?, ?, ?, ?, ?)`),
		e.Group, micros(e.At), seq, e.Line, e.Detail); err != nil {
		return fmt.Errorf("store: add error of %s: %w", e.Group, err)
	}
	if seq%1000 == 0 {
		if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM fleet_errors WHERE group_id = ? AND seq <= ?`), e.Group, seq-MaxErrorsPerGroup); err != nil {
			return fmt.Errorf("store: prune errors of %s: %w", e.Group, err)
		}
	}
	return nil
}

// Errors returns a group's newest error lines (at most limit), oldest
// first.
func (s *Store) Errors(ctx context.Context, group string, limit int) ([]ErrorEntry, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT at_us, line, detail FROM
		(SELECT at_us, seq, line, detail FROM fleet_errors WHERE group_id = ? ORDER BY seq DESC LIMIT ?) t ORDER BY seq`), group, limit)
	if err != nil {
		return nil, fmt.Errorf("store: errors of %s: %w", group, err)
	}
	defer rows.Close()
	var es []ErrorEntry
	for rows.Next() {
		e := ErrorEntry{Group: group}
		var at int64
		if err := rows.Scan(&at, &e.Line, &e.Detail); err != nil {
			return nil, fmt.Errorf("store: errors of %s: %w", group, err)
		}
		e.At = fromMicros(at)
		es = append(es, e)
	}
	return es, rows.Err()
}

// AddCheck records a check result.
func (s *Store) AddCheck(ctx context.Context, c Check) error {
	if err := s.exec(ctx, `INSERT INTO fleet_checks (group_id, at_us, kind, ok, value, want, class, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Group, micros(c.At), c.Kind, c.OK, c.Value, c.Want, c.Class, c.Detail); err != nil {
		return fmt.Errorf("store: add check of %s: %w", c.Group, err)
	}
	s.wmu.Lock()
	s.checks++
	prune := s.checks%500 == 0
	s.wmu.Unlock()
	if prune {
		if err := s.exec(ctx, `DELETE FROM fleet_checks WHERE group_id = ? AND kind = ? AND at_us < (SELECT at_us FROM
			(SELECT at_us FROM fleet_checks WHERE group_id = ? AND kind = ? ORDER BY at_us DESC LIMIT 1 OFFSET ?) t)`,
			c.Group, c.Kind, c.Group, c.Kind, MaxChecksPerKind); err != nil {
			return fmt.Errorf("store: prune checks of %s: %w", c.Group, err)
		}
	}
	return nil
}

// Checks returns a group's checks of a kind ("" for all) since a time,
// oldest first, at most limit (the newest ones).
func (s *Store) Checks(ctx context.Context, group, kind string, since time.Time, limit int) ([]Check, error) {
	query := `SELECT at_us, kind, ok, value, want, class, detail FROM fleet_checks WHERE group_id = ? AND at_us >= ?`
	args := []any{group, micros(since)}
	if kind != "" {
		query += ` AND kind = ?`
		args = append(args, kind)
	}
	query = `SELECT * FROM (` + query + ` ORDER BY at_us DESC LIMIT ?) t ORDER BY at_us`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: checks of %s: %w", group, err)
	}
	defer rows.Close()
	var cs []Check
	for rows.Next() {
		c := Check{Group: group}
		var at int64
		if err := rows.Scan(&at, &c.Kind, &c.OK, &c.Value, &c.Want, &c.Class, &c.Detail); err != nil {
			return nil, fmt.Errorf("store: checks of %s: %w", group, err)
		}
		c.At = fromMicros(at)
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

// CheckKinds are the kinds of checks, in the dashboard's order.
var CheckKinds = []string{"prestart", "latest", "msgs", "web"}

// LatestChecks returns the newest check of each kind a group has.
func (s *Store) LatestChecks(ctx context.Context, group string) (map[string]Check, error) {
	out := map[string]Check{}
	for _, kind := range CheckKinds {
		cs, err := s.Checks(ctx, group, kind, time.Time{}, 1)
		if err != nil {
			return nil, err
		}
		if len(cs) == 1 {
			out[kind] = cs[0]
		}
	}
	return out, nil
}
