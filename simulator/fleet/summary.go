package fleet

import (
	"context"
	"time"

	"github.com/minitwit-cd/kit/simulator/fleet/store"
	"github.com/minitwit-cd/kit/simulator/report"
)

// Counts are requests by outcome class.
type Counts struct {
	Total       int64 `json:"total"`
	OK          int64 `json:"ok"`
	Late        int64 `json:"late"`
	Timeout     int64 `json:"timeout"`
	ConnError   int64 `json:"connection_error"`
	WrongStatus int64 `json:"wrong_status"`
	Consequence int64 `json:"consequence"`
}

func (c *Counts) add(n [store.NumOutcomes]int64) {
	c.OK += n[report.OK]
	c.Late += n[report.Late]
	c.Timeout += n[report.Timeout]
	c.ConnError += n[report.ConnError]
	c.WrongStatus += n[report.WrongStatus]
	c.Consequence += n[report.Consequence]
	for _, v := range n {
		c.Total += v
	}
}

// Errors is every request that was not ok.
func (c Counts) Errors() int64 { return c.Total - c.OK }

// GroupSummary is a group's line of the overview.
type GroupSummary struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	API  string `json:"api"`
	Web  string `json:"web,omitempty"`
	// Since is the start of the period the numbers cover (today, UTC).
	Since  time.Time `json:"since"`
	Counts Counts    `json:"counts"`
	// ByCommand splits Counts by scenario command.
	ByCommand map[string]Counts `json:"by_command"`
	// Errors is Counts.Total - Counts.OK.
	Errors int64 `json:"errors"`
	// Availability is the share of requests that got an HTTP answer in
	// time (neither a timeout nor a connection error); OKShare the share
	// answered with the expected status within the budget.
	Availability float64 `json:"availability"`
	OKShare      float64 `json:"ok_share"`
	// P50 and P99 are the latency percentiles in milliseconds.
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	// Phases are the mean httptrace phases in milliseconds.
	Phases Phases `json:"phases"`
	// Progress is the durable record: Done is the latest action sent and
	// completed, Acked the latest accepted.
	Progress store.Progress `json:"progress"`
	// Latest is the group's /latest at the last check (-2 unknown).
	Latest int64 `json:"latest"`
	// DownSince is set while the group does not answer.
	DownSince *time.Time `json:"down_since,omitempty"`
	// Prestart is the /latest check before the start; Checks the newest
	// result of each consistency check (latest, msgs, web).
	Prestart *store.Check           `json:"prestart,omitempty"`
	Checks   map[string]store.Check `json:"checks"`
	// Live is this worker's in-memory view (nil when another worker or
	// nobody runs the group).
	Live *LiveStatus `json:"live,omitempty"`
}

// Phases are mean httptrace phases of the requests of a period, in ms.
type Phases struct {
	DNS     float64 `json:"dns_ms"`
	Connect float64 `json:"connect_ms"`
	TLS     float64 `json:"tls_ms"`
	TTFB    float64 `json:"ttfb_ms"`
	// Conns is the number of new connections.
	Conns int64 `json:"connections"`
}

func phasesOf(w *store.Window) Phases {
	p := Phases{Conns: w.Conns}
	if w.Traced == 0 {
		return p
	}
	n := float64(w.Traced) * float64(time.Millisecond)
	p.DNS, p.Connect, p.TLS, p.TTFB = float64(w.DNS)/n, float64(w.Connect)/n, float64(w.TLS)/n, float64(w.TTFB)/n
	return p
}

func ms(us int64) float64 { return float64(us) / 1000 }

// Minute is one minute of a group's results, over all commands.
type Minute struct {
	Start  time.Time `json:"start"`
	Counts Counts    `json:"counts"`
	P50    float64   `json:"p50_ms"`
	P90    float64   `json:"p90_ms"`
	P99    float64   `json:"p99_ms"`
	Max    float64   `json:"max_ms"`
	Phases Phases    `json:"phases"`
	// LateSendMax is the worst scheduling lateness, in ms.
	LateSendMax float64 `json:"late_send_max_ms"`
}

// GroupDetail is everything the group's page shows.
type GroupDetail struct {
	Summary GroupSummary       `json:"summary"`
	Minutes []Minute           `json:"minutes"`
	Latest  []store.Check      `json:"latest_checks"`
	Checks  []store.Check      `json:"checks"`
	Errors  []store.ErrorEntry `json:"errors"`
	Extras  map[string]string  `json:"extras,omitempty"`
	Repos   []string           `json:"repos,omitempty"`
}

// today is the start of t's day, UTC.
func today(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// Overview summarises every group since the start of today (UTC).
func (f *Fleet) Overview(ctx context.Context, now time.Time) ([]GroupSummary, error) {
	since := today(now)
	ws, err := f.st.Windows(ctx, "", since, now.Add(time.Minute))
	if err != nil {
		return nil, err
	}
	byGroup := map[string][]*store.Window{}
	for _, w := range ws {
		byGroup[w.Group] = append(byGroup[w.Group], w)
	}
	var out []GroupSummary
	for _, g := range f.Groups() {
		s, err := f.summarize(ctx, g, since, byGroup[g.ID])
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (f *Fleet) summarize(ctx context.Context, g Group, since time.Time, ws []*store.Window) (GroupSummary, error) {
	s := GroupSummary{ID: g.ID, Name: g.Name, API: g.API, Web: g.Web, Since: since, ByCommand: map[string]Counts{},
		Checks: map[string]store.Check{}, Latest: -2}
	all := &store.Window{Hist: store.NewHistogram()}
	for _, w := range ws {
		c := s.ByCommand[w.Command]
		c.add(w.Counts)
		s.ByCommand[w.Command] = c
		s.Counts.add(w.Counts)
		all.Merge(w)
	}
	s.Errors = s.Counts.Errors()
	if s.Counts.Total > 0 {
		n := float64(s.Counts.Total)
		s.Availability = float64(s.Counts.Total-s.Counts.Timeout-s.Counts.ConnError) / n
		s.OKShare = float64(s.Counts.OK) / n
		s.P50, s.P99 = ms(all.Hist.ValueAtQuantile(50)), ms(all.Hist.ValueAtQuantile(99))
	}
	s.Phases = phasesOf(all)
	var err error
	if s.Progress, err = f.st.Progress(ctx, g.ID); err != nil {
		return s, err
	}
	if !s.Progress.DownSince.IsZero() {
		d := s.Progress.DownSince
		s.DownSince = &d
	}
	cs, err := f.st.LatestChecks(ctx, g.ID)
	if err != nil {
		return s, err
	}
	for kind, c := range cs {
		if kind == "prestart" {
			s.Prestart = &c
			continue
		}
		s.Checks[kind] = c
		if kind == "latest" {
			s.Latest = c.Value
		}
	}
	if live, ok := f.Live(g.ID); ok {
		s.Live = &live
	}
	return s, nil
}

// Detail returns a group's page data: the summary of today, its minutes
// since `since`, /latest over time, the newest checks and error lines.
func (f *Fleet) Detail(ctx context.Context, id string, since, now time.Time) (GroupDetail, bool, error) {
	var g Group
	found := false
	for _, x := range f.Groups() {
		if x.ID == id {
			g, found = x, true
		}
	}
	if !found {
		return GroupDetail{}, false, nil
	}
	from := today(now)
	if since.Before(from) {
		from = since
	}
	ws, err := f.st.Windows(ctx, id, from, now.Add(time.Minute))
	if err != nil {
		return GroupDetail{}, true, err
	}
	var todays []*store.Window
	var minutes []Minute
	var cur *store.Window
	flush := func() {
		if cur == nil {
			return
		}
		m := Minute{Start: cur.Start, P50: ms(cur.Hist.ValueAtQuantile(50)), P90: ms(cur.Hist.ValueAtQuantile(90)),
			P99: ms(cur.Hist.ValueAtQuantile(99)), Max: ms(cur.Hist.Max()), Phases: phasesOf(cur),
			LateSendMax: float64(cur.LateSendMax) / float64(time.Millisecond)}
		m.Counts.add(cur.Counts)
		minutes = append(minutes, m)
	}
	for _, w := range ws {
		if !w.Start.Before(today(now)) {
			todays = append(todays, w)
		}
		if w.Start.Before(since) {
			continue
		}
		if cur == nil || !cur.Start.Equal(w.Start) {
			flush()
			cur = &store.Window{Start: w.Start, Hist: store.NewHistogram()}
		}
		cur.Merge(w)
	}
	flush()
	d := GroupDetail{Minutes: minutes, Extras: g.Extras, Repos: g.Repos}
	if d.Summary, err = f.summarize(ctx, g, today(now), todays); err != nil {
		return d, true, err
	}
	if d.Latest, err = f.st.Checks(ctx, id, "latest", since, 2000); err != nil {
		return d, true, err
	}
	if d.Checks, err = f.st.Checks(ctx, id, "", since, 12); err != nil {
		return d, true, err
	}
	if d.Errors, err = f.st.Errors(ctx, id, 200); err != nil {
		return d, true, err
	}
	return d, true, nil
}
