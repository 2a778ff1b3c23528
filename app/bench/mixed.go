package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/minitwit-cd/kit/simulator/scenario"
)

// The mixed traffic, in requests per 100. The writes keep the course
// scenario's proportions (tweet 44 %, follow 38 %, unfollow 18 % of its
// actions) and carry latest=N as the simulator's do; the reads are what
// dashboards and the instructors' tools ask, without latest (a read with
// latest is a write of the latest counter too).
var mix = []struct {
	kind   string
	weight int
}{
	{"tweet", 22}, {"follow", 19}, {"unfollow", 9},
	{"GET /msgs", 20}, {"GET /msgs/<user>", 20}, {"GET /fllws/<user>", 5}, {"GET /latest", 5},
}

// mixTargeter generates the mixed requests against the seeded users
// ("user0" … as storage.Seed names them). vegeta calls it from many
// goroutines, so it locks.
type mixTargeter struct {
	mu       sync.Mutex
	base     string
	users    int
	rng      *rand.Rand
	latest   int64
	followed [][2]int // recent follows, so unfollows mostly hit real edges
	header   http.Header
}

func (m *mixTargeter) user() (int, string) {
	i := m.rng.IntN(m.users)
	return i, "user" + strconv.Itoa(i)
}

func (m *mixTargeter) target(t *vegeta.Target) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.rng.IntN(100)
	kind := mix[len(mix)-1].kind
	for _, k := range mix {
		if n < k.weight {
			kind = k.kind
			break
		}
		n -= k.weight
	}
	t.Header = m.header
	t.Body = nil
	t.Method = http.MethodGet
	var body any
	q := ""
	if kind == "tweet" || kind == "follow" || kind == "unfollow" {
		m.latest++
		q = "?latest=" + strconv.FormatInt(m.latest, 10)
	}
	switch kind {
	case "tweet":
		_, name := m.user()
		t.Method, t.URL = http.MethodPost, m.base+"/msgs/"+url.PathEscape(name)+q
		body = map[string]string{"content": fmt.Sprintf("bench message %d", m.latest)}
	case "follow":
		a, an := m.user()
		b, bn := m.user()
		if a == b {
			b, bn = (a+1)%m.users, "user"+strconv.Itoa((a+1)%m.users)
		}
		t.Method, t.URL = http.MethodPost, m.base+"/fllws/"+an+q
		body = map[string]string{"follow": bn}
		if len(m.followed) < 4096 {
			m.followed = append(m.followed, [2]int{a, b})
		} else {
			m.followed[m.rng.IntN(len(m.followed))] = [2]int{a, b}
		}
	case "unfollow":
		var e [2]int
		if k := len(m.followed); k > 0 {
			i := m.rng.IntN(k)
			e = m.followed[i]
			m.followed[i] = m.followed[k-1]
			m.followed = m.followed[:k-1]
		} else {
			e = [2]int{0, 1}
		}
		t.Method, t.URL = http.MethodPost, m.base+"/fllws/user"+strconv.Itoa(e[0])+q
		body = map[string]string{"unfollow": "user" + strconv.Itoa(e[1])}
	case "GET /msgs":
		t.URL = m.base + "/msgs?no=100"
	case "GET /msgs/<user>":
		_, name := m.user()
		t.URL = m.base + "/msgs/" + name + "?no=100"
	case "GET /fllws/<user>":
		_, name := m.user()
		t.URL = m.base + "/fllws/" + name + "?no=100"
	default:
		t.URL = m.base + "/latest"
	}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		t.Body = b
	}
	return nil
}

// mixedPhase sends the mixed traffic at a constant rate (an open model:
// requests go out on schedule whether or not earlier ones have answered).
func mixedPhase(ctx context.Context, u *ui, opts options, srv *server, rep *report) error {
	tg := &mixTargeter{
		base: srv.url, users: opts.Users,
		rng:    rand.New(rand.NewPCG(uint64(opts.Seed), 3)),
		header: http.Header{"Authorization": {scenario.Authorization}, "Content-Type": {"application/json"}},
	}
	atk := vegeta.NewAttacker(
		vegeta.Timeout(10*time.Second),
		vegeta.KeepAlive(true),
		vegeta.Workers(32),
		vegeta.MaxWorkers(2000),
		vegeta.MaxBody(512),
		vegeta.Proxy(nil),
	)
	rate := vegeta.Rate{Freq: opts.Rate, Per: time.Second}
	expected := int64(float64(opts.Rate) * opts.Duration.Seconds())
	b := u.bar(expected, fmt.Sprintf("mixed traffic at %d/s for %s", opts.Rate, opts.Duration))
	lat := newLatencies()
	byKind := map[string]*latencies{}
	ch := newCharts(opts.HTML, "mixed", srv.url)
	var failed, bad int64
	var first, last time.Time
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	for res := range atk.Attack(tg.target, rate, opts.Duration, "mixed") {
		if first.IsZero() || res.Timestamp.Before(first) {
			first = res.Timestamp
		}
		if res.Timestamp.After(last) {
			last = res.Timestamp
		}
		lat.record(res.Latency)
		k := requestKind(res.Method, res.URL)
		if byKind[k] == nil {
			byKind[k] = newLatencies()
		}
		byKind[k].record(res.Latency)
		ch.add(chartNames[k], res.Timestamp, res.Latency, int(res.Code), res.Code >= 200 && res.Code < 300)
		switch {
		case res.Code == 0:
			failed++
		case res.Code >= 300:
			bad++
			if bad <= 3 {
				u.logf("unexpected %d for %s %s: %.200s", res.Code, res.Method, res.URL, res.Body)
			}
		}
		b.add(1)
	}
	b.finish()
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := srv.alive(); err != nil {
		return err
	}
	achieved := 0.0
	if span := last.Sub(first).Seconds(); span > 0 {
		achieved = float64(lat.count()-1) / span
	}
	rep.add("mixed", "requests", float64(lat.count()), "", "", nil)
	rep.add("mixed", "achieved rate", achieved, "/s", fmt.Sprintf("%d/s", opts.Rate), nil)
	lat.addTo(rep, "mixed", 20*time.Millisecond)
	for _, k := range kinds {
		if l := byKind[k]; l != nil {
			rep.add("mixed", fmt.Sprintf("%s: %d, p50 latency", k, l.count()), l.quantile(50), "s", "", nil)
			rep.add("mixed", fmt.Sprintf("%s: %d, p99 latency", k, l.count()), l.quantile(99), "s", "", nil)
		}
	}
	if p, err := ch.write(); err != nil {
		return err
	} else if p != "" {
		u.logf("charts: %s", p)
	}
	rep.add("mixed", "non-2xx answers", float64(bad), "", "0", isZero)
	rep.add("mixed", "connection errors", float64(failed), "", "0", isZero)
	return nil
}

// kinds are the request kinds the mixed phase reports on, in table order.
var kinds = []string{"POST /msgs/<user>", "POST /fllws/<user>", "GET /msgs", "GET /msgs/<user>", "GET /fllws/<user>", "GET /latest"}

// chartNames are the kinds as the charts' tables spell them (a name there
// is letters, digits, '-' and '_').
var chartNames = map[string]string{
	"POST /msgs/<user>": "tweet", "POST /fllws/<user>": "follow-unfollow", "GET /msgs": "get-msgs",
	"GET /msgs/<user>": "get-msgs-user", "GET /fllws/<user>": "get-fllws-user", "GET /latest": "get-latest",
}

// requestKind classifies a request for the per-kind latencies (follow and
// unfollow share one route and are one kind).
func requestKind(method, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "other"
	}
	parts := strings.SplitN(strings.TrimPrefix(u.Path, "/"), "/", 2)
	k := method + " /" + parts[0]
	if len(parts) == 2 {
		k += "/<user>"
	}
	return k
}
