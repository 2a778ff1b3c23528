package cmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/minitwit-cd/kit/internal/simreport"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

// targetLatest reads the target's GET /latest.
func targetLatest(t testing.TB, target string) int64 {
	t.Helper()
	var body struct{ Latest int64 }
	getJSON(t, strings.TrimRight(target, "/")+"/latest", &body)
	return body.Latest
}

func getJSON(t testing.TB, u string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", scenario.Authorization)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", u, err, b)
	}
}

// appState reads, through the API, everything a scenario can change: every
// user's messages (newest first, content only: pub_date is the wall clock)
// and follow list (sorted), and /latest.
func appState(t testing.TB, target, scen string) string {
	t.Helper()
	f, err := os.Open(scen)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var users []string
	rd := scenario.NewReader(f)
	for {
		a, err := rd.Next()
		if err != nil {
			break
		}
		if a.Command == scenario.Register {
			users = append(users, a.User)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "latest %d\n", targetLatest(t, target))
	for _, u := range users {
		var msgs []struct{ Content, User string }
		getJSON(t, target+"/msgs/"+url.PathEscape(u)+"?no=1000", &msgs)
		var fl struct{ Follows []string }
		getJSON(t, target+"/fllws/"+url.PathEscape(u)+"?no=1000", &fl)
		slices.Sort(fl.Follows)
		fmt.Fprintf(&b, "%s: %d messages %q; follows %q\n", u, len(msgs), msgs, fl.Follows)
	}
	return b.String()
}

// ackProxy forwards to the real MiniTwit and records the latest ID of every
// scenario request the target answered; after stopAt answers it calls stop
// (Ctrl-C, mid-replay).
type ackProxy struct {
	mu     sync.Mutex
	acked  map[int64]int // latest ID -> times answered
	n      atomic.Int64
	stopAt int64
	stop   func()
}

func newAckProxy(t *testing.T, target string) (*ackProxy, string) {
	u, _ := url.Parse(target)
	p := &ackProxy{acked: map[int64]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.URL.Query().Get("latest"), 10, 64)
		rp.ServeHTTP(w, r)
		if err != nil || r.Method != http.MethodPost {
			return
		}
		p.mu.Lock()
		p.acked[id]++
		p.mu.Unlock()
		if n := p.n.Add(1); n == p.stopAt && p.stop != nil {
			p.stop()
		}
	}))
	t.Cleanup(srv.Close)
	return p, srv.URL
}

// TestRunInterruptedConcurrentReplayResumes interrupts a concurrent replay
// of the real MiniTwit halfway (Ctrl-C), resumes it with --from-latest and
// the first run's report, and compares the app's state with a sequential
// replay's: identical, and no request the target answered in the first run
// was sent again.
func TestRunInterruptedConcurrentReplayResumes(t *testing.T) {
	scen := generate(t, 40, 1500, 21)

	sequential := startApp(t)
	if r := run(context.Background(), false, "run", "-t", sequential, "-s", scen, "--compat=false", "-c", "1", "--timeout", "10s"); r.code != 0 {
		t.Fatalf("sequential: exit %d\n%s", r.code, r.stderr)
	}
	want := appState(t, sequential, scen)

	app := startApp(t)
	proxy, target := newAckProxy(t, app)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	proxy.stopAt, proxy.stop = 700, cancel
	first := filepath.Join(t.TempDir(), "first.json")
	r := run(ctx, false, "run", "-t", target, "-s", scen, "-c", "8", "--timeout", "10s", "--json", first)
	if r.code != 130 {
		t.Fatalf("interrupted run: exit %d, want 130\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	raw, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := simreport.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	res := doc.Resume
	proxy.mu.Lock()
	firstAcked := proxy.acked
	proxy.acked = map[int64]int{}
	proxy.mu.Unlock()
	// The resume point: everything up to it answered, it not beyond what was
	// sent; the acknowledged IDs above it are exactly those answered above it.
	if !doc.Interrupted || doc.Passed || res.Point < 600 || res.Point >= doc.Stats.LastID+1 {
		t.Fatalf("interrupted report: interrupted %v passed %v resume %+v last sent %d", doc.Interrupted, doc.Passed, res, doc.Stats.LastID)
	}
	for id := int64(0); id <= res.Point; id++ {
		if firstAcked[id] != 1 {
			t.Fatalf("action %d is below the resume point %d but the target answered it %d times", id, res.Point, firstAcked[id])
		}
	}
	for id := range firstAcked {
		if id > res.Point && !res.Done(id) {
			t.Errorf("action %d was answered but is not listed above the resume point: %+v", id, res)
		}
	}
	if int64(len(firstAcked)) != res.Point+1+res.AckedCount() {
		t.Errorf("%d actions answered, the report accounts for %d (point %d, %d above)", len(firstAcked), res.Point+1+res.AckedCount(), res.Point, res.AckedCount())
	}
	if !strings.Contains(r.stdout, fmt.Sprintf("resume point: %d", res.Point)) || !strings.Contains(r.stderr, fmt.Sprintf("the target's /latest is now %d", res.Point)) {
		t.Errorf("the summary does not give the resume point %d:\n%s\n%s", res.Point, r.stdout, r.stderr)
	}
	if got := targetLatest(t, app); got != res.Point {
		t.Errorf("/latest after the interruption is %d, want the resume point %d", got, res.Point)
	}

	second := filepath.Join(t.TempDir(), "second.json")
	r = run(context.Background(), false, "run", "-t", target, "-s", scen, "-c", "8", "--timeout", "10s",
		"--from-latest", "--resume", first, "--json", second)
	if r.code != 0 || !strings.Contains(r.stderr, fmt.Sprintf("resuming after action %d", res.Point)) {
		t.Fatalf("resumed run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for id, n := range proxy.acked {
		if firstAcked[id] > 0 {
			t.Errorf("action %d was answered in the first run and sent %d more times", id, n)
		}
	}
	rep := readReport(t, second)
	if rep.Stats.Sent+rep.Stats.Skipped != 1500 || rep.Stats.Sent != 1500-int64(len(firstAcked)) || rep.Replay.Errors != 0 {
		t.Errorf("resumed run: %+v, %d errors", rep.Stats, rep.Replay.Errors)
	}
	if got := appState(t, app, scen); got != want {
		t.Errorf("after the interrupted and resumed replay the state differs from a sequential run's:\n got %s\nwant %s", got, want)
	}
}

// TestRunResumeFlagErrors: a --resume file that is not a report, and --from
// beside --from-latest, are usage errors.
func TestRunResumeFlagErrors(t *testing.T) {
	scen := generate(t, 2, 3, 1)
	notReport := filepath.Join(t.TempDir(), "x.json")
	if err := os.WriteFile(notReport, []byte(`{"errors": 0}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--resume", notReport}, "not a minitwit-simulator-report/v1 document"},
		{[]string{"--resume", "/nonexistent.json"}, "no such file"},
		{[]string{"--from", "3", "--from-latest"}, "exclude each other"},
		{[]string{"--from", "-7"}, "must be an action ID"},
	} {
		r := run(context.Background(), false, append([]string{"run", "-t", "http://127.0.0.1:1", "-s", scen}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, r.code, r.stderr, tc.msg)
		}
	}
}
