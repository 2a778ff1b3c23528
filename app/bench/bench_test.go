package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestParseOptionsRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown phase", []string{"--phases", "replay,warp"}, `unknown phase "warp"`},
		{"zero rate", []string{"--rate", "0"}, "--rate 0"},
		{"negative duration", []string{"--duration", "-1s"}, "must be positive"},
		{"no workers", []string{"--read-workers", "0"}, "--read-workers 0"},
		{"one user", []string{"--users", "1"}, "--users must be at least 2"},
		{"too many follows", []string{"--users", "3", "--follows", "7"}, "--follows 7"},
		{"bad progress", []string{"--progress", "sometimes"}, `--progress "sometimes"`},
		{"stray argument", []string{"extra"}, "unexpected arguments"},
		{"not a number", []string{"--rate", "fast"}, "invalid value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseOptions(tt.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parseOptions(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestParseOptionsDefaultsAndEnvironment(t *testing.T) {
	opts, err := parseOptions(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Rate != 2000 || opts.Duration != time.Minute || opts.Users != 10000 || opts.Messages != 1000000 || opts.Follows != 100000 {
		t.Fatalf("defaults = %+v, want the issue's full settings", opts)
	}
	if !opts.has("replay") || !opts.has("mixed") || !opts.has("read") {
		t.Fatalf("default phases = %q", opts.Phases)
	}
	t.Setenv("MINITWIT_BENCH_RATE", "123")
	t.Setenv("MINITWIT_BENCH_READ_DURATION", "2s")
	opts, err = parseOptions([]string{"--phases", " mixed "}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Rate != 123 || opts.ReadFor != 2*time.Second || opts.has("replay") || !opts.has("mixed") {
		t.Fatalf("env and flags = %+v", opts)
	}
	// A flag beats the environment.
	if opts, err = parseOptions([]string{"--rate", "7"}, io.Discard); err != nil || opts.Rate != 7 {
		t.Fatalf("flag over env: %+v %v", opts, err)
	}
	t.Setenv("MINITWIT_BENCH_RATE", "lots")
	if _, err := parseOptions(nil, io.Discard); err == nil || !strings.Contains(err.Error(), "MINITWIT_BENCH_RATE") {
		t.Fatalf("bad env value: err = %v, want it to name the variable", err)
	}
}

// TestMixTargeter checks that the generated traffic is well-formed
// simulator API traffic in the intended proportions.
func TestMixTargeter(t *testing.T) {
	tg := &mixTargeter{base: "http://127.0.0.1:1", users: 50, rng: rand.New(rand.NewPCG(1, 2)), header: http.Header{}}
	const n = 20000
	kinds := map[string]int{}
	followed := map[[2]string]bool{}
	unfollowHits := 0
	lastLatest := int64(0)
	for range n {
		var tgt vegeta.Target
		if err := tg.target(&tgt); err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(tgt.URL)
		if err != nil || u.Host != "127.0.0.1:1" {
			t.Fatalf("bad URL %q: %v", tgt.URL, err)
		}
		if tgt.Method == http.MethodPost {
			l, err := strconv.ParseInt(u.Query().Get("latest"), 10, 64)
			if err != nil || l <= lastLatest {
				t.Fatalf("%s: latest must increase, last %d", tgt.URL, lastLatest)
			}
			lastLatest = l
		} else if u.Query().Has("latest") {
			t.Fatalf("%s: reads carry no latest", tgt.URL)
		}
		parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
		switch {
		case tgt.Method == http.MethodGet:
			kinds["GET /"+parts[0]]++
			if tgt.Body != nil {
				t.Fatalf("GET with a body: %s", tgt.URL)
			}
		case parts[0] == "msgs":
			var b struct{ Content string }
			if err := json.Unmarshal(tgt.Body, &b); err != nil || b.Content == "" {
				t.Fatalf("tweet body %s", tgt.Body)
			}
			kinds["tweet"]++
		case parts[0] == "fllws":
			var b struct{ Follow, Unfollow string }
			if err := json.Unmarshal(tgt.Body, &b); err != nil || (b.Follow == "") == (b.Unfollow == "") {
				t.Fatalf("follow body %s", tgt.Body)
			}
			if b.Follow != "" {
				if b.Follow == parts[1] {
					t.Fatalf("self-follow %s", tgt.Body)
				}
				kinds["follow"]++
				followed[[2]string{parts[1], b.Follow}] = true
			} else {
				kinds["unfollow"]++
				if followed[[2]string{parts[1], b.Unfollow}] {
					unfollowHits++
				}
			}
		default:
			t.Fatalf("unexpected target %s %s", tgt.Method, tgt.URL)
		}
	}
	want := map[string]int{"tweet": 22, "follow": 19, "unfollow": 9, "GET /msgs": 40, "GET /fllws": 5, "GET /latest": 5}
	for k, pct := range want {
		got := float64(kinds[k]) * 100 / n
		if got < float64(pct)-1.5 || got > float64(pct)+1.5 {
			t.Errorf("%s: %.1f%% of the traffic, want about %d%%", k, got, pct)
		}
	}
	// Unfollows undo earlier follows, so they exercise real deletes.
	if unfollowHits < kinds["unfollow"]*9/10 {
		t.Errorf("only %d of %d unfollows hit a followed pair", unfollowHits, kinds["unfollow"])
	}
}

func TestLatencies(t *testing.T) {
	l := newLatencies()
	for i := 1; i <= 100; i++ {
		l.record(time.Duration(i) * time.Millisecond)
	}
	l.record(400 * time.Millisecond)
	l.record(2 * time.Hour) // beyond the range: clamped, still counted
	if l.count() != 102 || l.slow != 2 {
		t.Fatalf("count %d slow %d", l.count(), l.slow)
	}
	if p50 := l.quantile(50); p50 < 0.050 || p50 > 0.052 {
		t.Errorf("p50 = %v s", p50)
	}
	if l.max() < 59 {
		t.Errorf("max = %v s, want the clamp at a minute", l.max())
	}
}

func TestReportTableAndJSON(t *testing.T) {
	r := &report{Settings: map[string]string{"machine": "2 CPUs"}}
	r.add("replay", "p99 latency", 0.0031, "s", "< 5ms", ltSeconds(5*time.Millisecond))
	r.add("read", "throughput", 4200, "/s", ">= 5000/s", atLeast(5000))
	r.add("read", "server peak RSS (VmHWM)", 52.5*(1<<20), "B", "< 100 MB", ltBytes(100<<20))
	r.add("replay", "actions", 25922, "", "", nil)
	var b bytes.Buffer
	if err := r.writeTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"machine: 2 CPUs", "3.10 ms", "< 5ms", "4200/s", "52.5 MB", "25922"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasSuffix(lines[3], "yes") || !strings.HasSuffix(lines[4], "no") {
		t.Errorf("met column wrong:\n%s", out)
	}
	b.Reset()
	if err := r.writeJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back.Rows) != 4 || back.Rows[1].Met == nil || *back.Rows[1].Met {
		t.Fatalf("JSON round trip: %v %+v", err, back)
	}
	if format(-1, "B") != "n/a" || format(0.0004, "s") != "400 µs" || format(2.5, "s") != "2.50 s" {
		t.Error("format")
	}
}

func TestChartsPage(t *testing.T) {
	none := newCharts("", "mixed", "http://127.0.0.1:1")
	none.add("tweet", time.Now(), time.Millisecond, 204, true) // a no-op without --html
	if p, err := none.write(); p != "" || err != nil {
		t.Fatalf("charts without a dir wrote %q, %v", p, err)
	}
	dir := filepath.Join(t.TempDir(), "html")
	c := newCharts(dir, "mixed", "http://127.0.0.1:1")
	start := time.Now()
	for i := range 50 {
		c.add("tweet", start.Add(time.Duration(i)*10*time.Millisecond), time.Duration(i+1)*time.Millisecond, 204, true)
	}
	c.add("get-msgs", start, 400*time.Millisecond, 200, true) // late
	c.add("get-msgs", start, time.Millisecond, 500, false)    // wrong status
	c.add("get-msgs", start, time.Millisecond, 0, false)      // no answer
	p, err := c.write()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{"<svg", "tweet", "get-msgs", "(mixed)"} {
		if !strings.Contains(page, want) {
			t.Errorf("%s lacks %q", p, want)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "https://") {
		t.Errorf("%s is not self-contained", p)
	}
}

func TestDurationFromRequestLog(t *testing.T) {
	tests := []struct {
		line string
		want time.Duration
		ok   bool
	}{
		{`time=2026-11-22T02:58:28.309Z level=INFO msg=request method=POST path="/msgs/Jackson Callas" route=/msgs/:username status=404 duration=132.979µs bytes=60`, 132979 * time.Nanosecond, true},
		{`time=2026-11-22T03:05:01.039Z level=INFO msg=request method=POST path=/register route=/register status=500 duration=378.793548ms bytes=44`, 378793548 * time.Nanosecond, true},
		{`time=2026-11-22T02:55:47.185Z level=INFO msg="listening on http://127.0.0.1:43013" db=/tmp/t1.db`, 0, false},
	}
	for _, tt := range tests {
		m := durationRE.FindStringSubmatch(tt.line)
		if (m != nil) != tt.ok {
			t.Fatalf("match %q = %v, want %v", tt.line, m != nil, tt.ok)
		}
		if m == nil {
			continue
		}
		d, err := time.ParseDuration(m[1])
		if err != nil || d != tt.want {
			t.Errorf("duration in %q = %v (%v), want %v", tt.line, d, err, tt.want)
		}
	}
}
