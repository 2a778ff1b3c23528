// Command bench measures the tracker server against the targets:
// it bulk-seeds a SQLite database (100 flows, 100,000 artifacts, 1,000
// environments, 1,000,000 derived events by default), starts the server as
// a child process (so its memory can be read on its own), drives it with
// vegeta and prints a table of p50/p99 latencies, throughput and peak RSS.
//
//	go run ./tracker/bench                     # seed into a temp dir, measure
//	go run ./tracker/bench -db /tmp/bench.db   # keep (and reuse) the seeded file
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	_ "github.com/mattn/go-sqlite3"
	trackerhttp "github.com/minitwit-cd/kit/tracker/http"
	"github.com/minitwit-cd/kit/tracker/sqlite"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve-child" {
		if err := serveChild(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "bench server:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", envOr("TRACKER_BENCH_DB", ""), "SQLite file to seed or reuse (default: a fresh temp file) [TRACKER_BENCH_DB]")
	var z sizes
	fs.IntVar(&z.Flows, "flows", 100, "flows to seed")
	fs.IntVar(&z.Artifacts, "artifacts", 100_000, "artifacts to seed")
	fs.IntVar(&z.Envs, "envs", 1000, "environments to seed")
	fs.IntVar(&z.Events, "events", 1_000_000, "derived events to seed (spread evenly over environments)")
	fs.IntVar(&z.BigEnvs, "big-envs", 10, "environments running -big-size artifacts")
	fs.IntVar(&z.BigSize, "big-size", 500, "artifacts running in a big environment")
	fs.IntVar(&z.SmallSize, "small-size", 50, "artifacts running in the other environments")
	duration := fs.Duration("duration", 10*time.Second, "length of each measured scenario")
	readRate := fs.Int("read-rate", 50, "requests/s of the read scenarios")
	workers := fs.Int("workers", 16, "concurrent clients of the report-throughput scenario")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dbPath == "" {
		dir, err := os.MkdirTemp("", "tracker-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		*dbPath = filepath.Join(dir, "bench.db")
	}

	token, seeded, err := prepare(ctx, *dbPath, z, stderr)
	if err != nil {
		return err
	}
	if seeded > 0 {
		fmt.Fprintf(stderr, "seeded %s in %s\n", *dbPath, seeded.Round(time.Millisecond))
	}

	child, base, err := startChild(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer func() {
		_ = child.Process.Signal(os.Interrupt)
		_ = child.Wait()
	}()

	rng := rand.New(rand.NewPCG(1, 2))
	hdr := http.Header{"Authorization": {"Bearer " + token}}
	var results []row

	// get artifact: artifacts that ran somewhere, so histories are full.
	var tg []vegeta.Target
	for i := 0; i < 2000; i++ {
		e := rng.IntN(z.Envs)
		p := plan(e, z)
		a := p.artifactAt(rng.IntN(p.size), rng.IntN(p.snapshots), z)
		tg = append(tg, vegeta.Target{Method: "GET", URL: fmt.Sprintf("%s/api/v2/artifacts/bench/%s/fingerprint/%s", base, flowName(artifactFlow(a, z)), fp(a)), Header: hdr})
	}
	results = append(results, attack(ctx, "get artifact", tg, *readRate, 0, *duration, 20*time.Millisecond, 0))

	// get snapshot of a 500-artifact snapshot: any index of a big env.
	tg = nil
	for i := 0; i < 500; i++ {
		e := rng.IntN(max(1, z.BigEnvs))
		p := plan(e, z)
		tg = append(tg, vegeta.Target{Method: "GET", URL: fmt.Sprintf("%s/api/v2/snapshots/bench/%s/%d", base, envName(e), 1+rng.IntN(p.snapshots)), Header: hdr})
	}
	results = append(results, attack(ctx, fmt.Sprintf("get snapshot (%d artifacts)", z.BigSize), tg, *readRate, 0, *duration, 30*time.Millisecond, 0))

	// diff of two 500-artifact snapshots.
	tg = nil
	for i := 0; i < 500; i++ {
		e := rng.IntN(max(1, z.BigEnvs))
		p := plan(e, z)
		a, b := 1+rng.IntN(p.snapshots), 1+rng.IntN(p.snapshots)
		q := url.Values{"snappish1": {fmt.Sprintf("%s#%d", envName(e), a)}, "snappish2": {fmt.Sprintf("%s#%d", envName(e), b)}}
		tg = append(tg, vegeta.Target{Method: "GET", URL: base + "/api/v2/env-diff/bench?" + q.Encode(), Header: hdr})
	}
	results = append(results, attack(ctx, fmt.Sprintf("diff snapshots (%d artifacts)", z.BigSize), tg, *readRate, 0, *duration, 30*time.Millisecond, 0))

	// Unchanged reports of small environments, as fast as they go.
	tg = nil
	jh := http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"application/json"}}
	for e := z.BigEnvs; e < z.Envs && len(tg) < 500; e++ {
		p := plan(e, z)
		var arts []map[string]any
		for _, r := range p.running(p.snapshots-1, z) {
			arts = append(arts, map[string]any{"digests": map[string]string{r.Name: r.Fingerprint}, "creationTimestamp": r.CreationTimestamps[0]})
		}
		body, _ := json.Marshal(map[string]any{"artifacts": arts})
		tg = append(tg, vegeta.Target{Method: "PUT", URL: fmt.Sprintf("%s/api/v2/environments/bench/%s/report/docker", base, envName(e)), Body: body, Header: jh})
	}
	results = append(results, attack(ctx, fmt.Sprintf("unchanged report (%d artifacts)", z.SmallSize), tg, 0, *workers, *duration, 0, 1000))

	// The unchanged reports must not have created snapshots.
	counts, err := countRows(ctx, *dbPath)
	if err != nil {
		return err
	}
	want := 0
	for e := 0; e < z.Envs; e++ {
		want += plan(e, z).snapshots
	}
	created := counts["snapshots"] - want

	rss, err := peakRSS(child.Process.Pid)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintf(tw, "scenario\trequests\tsuccess\trate/s\tp50\tp99\tmax\ttarget\tmet\t\n")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%.1f%%\t%.0f\t%s\t%s\t%s\t%s\t%s\t\n", r.name, r.requests, r.success*100, r.rate,
			ms(r.p50), ms(r.p99), ms(r.max), r.target, yes(r.met))
	}
	fmt.Fprintf(tw, "server peak RSS\t\t\t\t\t\t%.0f MB\t< 200 MB\t%s\t\n", float64(rss)/(1<<20), yes(rss < 200<<20))
	tw.Flush()
	fmt.Fprintf(stdout, "data: %d flows, %d artifacts, %d environments, %d snapshots, %d derived events; snapshots created by the unchanged reports: %d\n",
		counts["flows"], counts["artifacts"], counts["environments"], counts["snapshots"], counts["events"], created)
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

type row struct {
	name          string
	requests      uint64
	success, rate float64
	p50, p99, max time.Duration
	target        string
	met           bool
}

// attack runs one scenario: at rate req/s (or, with rate 0, as fast as
// workers clients go) for d; p99Target or minRate decides "met".
func attack(ctx context.Context, name string, tg []vegeta.Target, rate, workers int, d, p99Target time.Duration, minRate float64) row {
	opts := []func(*vegeta.Attacker){vegeta.KeepAlive(true), vegeta.Timeout(10 * time.Second)}
	pacer := vegeta.Rate{Freq: rate, Per: time.Second}
	if rate == 0 {
		opts = append(opts, vegeta.Workers(uint64(workers)), vegeta.MaxWorkers(uint64(workers)), vegeta.Connections(workers))
	}
	a := vegeta.NewAttacker(opts...)
	var m vegeta.Metrics
	res := a.Attack(vegeta.NewStaticTargeter(tg...), pacer, d, name)
	for {
		select {
		case <-ctx.Done():
			a.Stop()
			for range res {
			}
			m.Close()
			return row{name: name + " (interrupted)"}
		case r, ok := <-res:
			if !ok {
				m.Close()
				out := row{name: name, requests: m.Requests, success: m.Success, rate: m.Throughput,
					p50: m.Latencies.P50, p99: m.Latencies.P99, max: m.Latencies.Max}
				if p99Target > 0 {
					out.target = "p99 < " + ms(p99Target)
					out.met = m.Success == 1 && m.Latencies.P99 < p99Target
				} else {
					out.target = fmt.Sprintf(">= %.0f/s", minRate)
					out.met = m.Success == 1 && m.Throughput >= minRate
				}
				if m.Success < 1 && len(m.Errors) > 0 {
					out.name += " [" + m.Errors[0] + "]"
				}
				return out
			}
			m.Add(r)
		}
	}
}

// prepare seeds path unless it already holds the bench org, and returns a
// fresh API token for it and how long seeding took (0 when reused).
func prepare(ctx context.Context, path string, z sizes, progress io.Writer) (string, time.Duration, error) {
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		return "", 0, err
	}
	defer store.Close()
	if _, err := store.FindOrg(ctx, "bench"); err == nil {
		tok, err := store.CreateToken(ctx, "bench")
		return tok, 0, err
	}
	start := time.Now()
	tok, err := store.CreateOrg(ctx, "bench")
	if err != nil {
		return "", 0, err
	}
	org, err := store.FindOrg(ctx, "bench")
	if err != nil {
		return "", 0, err
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=OFF&_foreign_keys=on&_busy_timeout=10000&_cache_size=-200000")
	if err != nil {
		return "", 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := seed(ctx, db, org.ID, z, time.Now().UTC(), progress); err != nil {
		return "", 0, fmt.Errorf("seed: %w", err)
	}
	if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
		return "", 0, err
	}
	return tok, time.Since(start), nil
}

// countRows counts the rows of the seeded tables.
func countRows(ctx context.Context, path string) (map[string]int, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?_query_only=true&_busy_timeout=10000")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	out := map[string]int{}
	for _, table := range []string{"flows", "artifacts", "environments", "snapshots", "events"} {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", table, err)
		}
		out[table] = n
	}
	return out, nil
}

// startChild runs this binary's serve-child mode on the database and
// returns the process and its base URL.
func startChild(ctx context.Context, path string) (*exec.Cmd, string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.CommandContext(ctx, exe, "serve-child", path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, "", fmt.Errorf("bench server did not start: %w", err)
	}
	return cmd, strings.TrimSpace(line), nil
}

// serveChild serves the tracker on a loopback port, printing its URL.
func serveChild(path string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		return err
	}
	defer store.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: trackerhttp.New(store, trackerhttp.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// peakRSS reads the high-water mark of a process's resident memory.
func peakRSS(pid int) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("read memory of the server: %w", err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}
