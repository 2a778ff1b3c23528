package cmd_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/simulator/internal/cmd"
	"github.com/minitwit-cd/kit/simulator/scenario"
)

// TestRunCompatWritesTheCourseScriptsLines replays against a fault server
// with --compat and no --errors, as `python minitwit_simulator.py HOST >
// errors.log` is run, and asserts standard output line for line: the
// course script's exact lines (TS from the injected clock, HOST as given,
// no command after ReadTimeout and ConnectionError) and nothing else; the
// report goes to standard error.
func TestRunCompatWritesTheCourseScriptsLines(t *testing.T) {
	scen := generate(t, 4, 40, 9)
	// The faults go to the first five actions that are not registrations,
	// so every failure is independent (no consequences).
	f, err := os.Open(scen)
	if err != nil {
		t.Fatal(err)
	}
	rd := scenario.NewReader(f)
	var ids []int64
	cmdOf := map[int64]string{}
	for {
		a, err := rd.Next()
		if err != nil {
			break
		}
		cmdOf[a.ID] = a.Command.String()
		if a.Command != scenario.Register && len(ids) < 5 {
			ids = append(ids, a.ID)
		}
	}
	f.Close()
	slow, status500, status200, reset, cut := ids[0], ids[1], ids[2], ids[3], ids[4]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/latest" {
			_, _ = io.WriteString(w, `{"latest": -1}`)
			return
		}
		id, _ := strconv.ParseInt(r.URL.Query().Get("latest"), 10, 64)
		switch id {
		case slow:
			time.Sleep(400 * time.Millisecond)
		case status500:
			w.WriteHeader(500)
			return
		case status200:
			w.WriteHeader(200)
			return
		case reset:
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
			return
		case cut:
			c, buf, _ := w.(http.Hijacker).Hijack()
			_, _ = buf.WriteString("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 50\r\n\r\n0123456789")
			_ = buf.Flush()
			c.Close()
			return
		}
		w.WriteHeader(204)
	}))
	defer srv.Close()
	host := srv.URL + "/" // exactly as given, trailing slash and all
	defer cmd.SetClock(func() time.Time { return time.Date(2026, 12, 1, 23, 4, 5, 0, time.FixedZone("CET", 3600)) })()
	ts := "2026-12-01 22:04:05" // UTC
	r := run(context.Background(), false, "run", "--compat", "-t", host, "-s", scen, "--verify=false")
	want := strings.Join([]string{
		fmt.Sprintf("%s,%s,%d,ReadTimeout", ts, host, slow),
		fmt.Sprintf("%s,%s,%d,500,%s", ts, host, status500, cmdOf[status500]),
		fmt.Sprintf("%s,%s,%d,200,%s", ts, host, status200, cmdOf[status200]),
		fmt.Sprintf("%s,%s,%d,ConnectionError", ts, host, reset),
		fmt.Sprintf("%s,%s,%d,ChunkedEncodingError", ts, host, cut),
	}, "\n") + "\n"
	if r.stdout != want {
		t.Errorf("standard output:\n%s\nwant exactly:\n%s", r.stdout, want)
	}
	if r.code != 1 || !strings.Contains(r.stderr, "replay (compat pacing") || !strings.Contains(r.stderr, "5 errors, more than --max-errors 0") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}

	// A refused connection: nothing listens at the target any more.
	srv.Close()
	r = run(context.Background(), false, "run", "--compat", "-t", host, "-s", generate(t, 2, 3, 1), "--verify=false")
	want = ""
	for id := range 3 {
		want += fmt.Sprintf("%s,%s,%d,ConnectionError\n", ts, host, id)
	}
	if r.stdout != want {
		t.Errorf("refused: standard output:\n%s\nwant exactly:\n%s", r.stdout, want)
	}
}
