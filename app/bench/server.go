package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// buildServer compiles ./app into dir, without the race detector: the
// server is what is measured.
func buildServer(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "minitwit")
	// Stamp the commit, so the report says which code it measured.
	commit := "unknown"
	if out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "HEAD").Output(); err == nil {
		commit = strings.TrimSpace(string(out))
	}
	const pkg = "github.com/minitwit-cd/kit/internal/buildinfo"
	ldflags := fmt.Sprintf("-X %s.Version=bench -X %s.Commit=%s -X %s.Date=%s",
		pkg, pkg, commit, pkg, time.Now().UTC().Format(time.RFC3339))
	cmd := exec.CommandContext(ctx, "go", "build", "-ldflags", ldflags, "-o", bin, "./app")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./app: %w\n%s", err, out)
	}
	return bin, nil
}

// serverVersion returns the binary's --version line, for the report.
func serverVersion(ctx context.Context, bin string) string {
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return "(--version failed)"
	}
	return strings.TrimSpace(string(out))
}

var listenRE = regexp.MustCompile(`listening on (http://[^ "]+)`)

// server is a running minitwit subprocess.
type server struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	tail []string // the last lines of stderr, for error messages
	// handled holds the durations the server logged for its requests:
	// its own view of latency, without the network, the client or the
	// wait for a CPU before the handler ran.
	handled *latencies
	// peakAnon and peakFile are the largest RssAnon (heap, stacks,
	// SQLite's page caches) and RssFile (mapped files: the binary and the
	// memory-mapped database) seen by sampling, which tells what VmHWM,
	// their peak sum, is made of.
	peakAnon, peakFile float64
	// peakPSS is the largest proportional set size seen: SQLite maps the
	// database once per connection, and RSS counts a page once per
	// mapping, PSS once.
	peakPSS float64
	err     error
}

// durationRE finds the handling time in the server's request log line
// (log/slog text: "msg=request ... duration=132.979µs").
var durationRE = regexp.MustCompile(`msg=request .*\bduration=([0-9.]+[a-zµ]+)`)

// startServer runs bin on 127.0.0.1:0 with the SQLite file db and waits
// for its "listening on" line.
func startServer(ctx context.Context, bin, db string) (*server, error) {
	s := &server{done: make(chan struct{}), handled: newLatencies()}
	s.cmd = exec.Command(bin, "--addr", "127.0.0.1:0", "--db", db)
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	urlc := make(chan string, 1)
	go func() {
		// Drain stderr so request logging can never block the server.
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		found := false
		for sc.Scan() {
			line := sc.Text()
			if m := listenRE.FindStringSubmatch(line); m != nil && !found {
				found = true
				urlc <- m[1]
			}
			s.mu.Lock()
			if m := durationRE.FindStringSubmatch(line); m != nil {
				if d, err := time.ParseDuration(m[1]); err == nil {
					s.handled.record(d)
				}
			}
			s.tail = append(s.tail, line)
			if len(s.tail) > 20 {
				s.tail = s.tail[1:]
			}
			s.mu.Unlock()
		}
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	go s.sampleMemory()
	select {
	case u := <-urlc:
		u = strings.Replace(u, "://0.0.0.0:", "://127.0.0.1:", 1)
		s.url = strings.TrimRight(u, "/")
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("server exited before listening: %w\n%s", s.err, s.logTail())
	case <-time.After(60 * time.Second):
		_ = s.cmd.Process.Kill()
		return nil, fmt.Errorf("server did not log its address within 60s:\n%s", s.logTail())
	case <-ctx.Done():
		_ = s.cmd.Process.Kill()
		return nil, ctx.Err()
	}
}

func (s *server) logTail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

// serverSide adds the server's own latency percentiles, from its request
// log, when it logged any.
func (s *server) serverSide(rep *report, phase string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handled.count() == 0 {
		return
	}
	rep.add(phase, "server-side p50 (request log)", s.handled.quantile(50), "s", "", nil)
	rep.add(phase, "server-side p99 (request log)", s.handled.quantile(99), "s", "", nil)
	rep.add(phase, "server-side max (request log)", s.handled.max(), "s", "", nil)
}

// alive reports an error when the server has exited.
func (s *server) alive() error {
	select {
	case <-s.done:
		return fmt.Errorf("server exited: %w\n%s", s.err, s.logTail())
	default:
		return nil
	}
}

// stop shuts the server down (SIGTERM, SIGKILL after 10 s); calling it
// again is harmless.
func (s *server) stop() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return nil
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return errors.New("server did not stop within 10s of SIGTERM")
	}
}

// peakRSS returns the server's peak resident set size in bytes (VmHWM in
// /proc/PID/status), or -1 when it cannot be read. It counts the pages of
// the database file that SQLite has memory-mapped and touched.
func (s *server) peakRSS() float64 { return s.procStatus("VmHWM:") }

// sampleMemory records the peaks of RssAnon and RssFile every 50 ms until
// the server exits.
func (s *server) sampleMemory() {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-s.done:
			return
		case <-tick.C:
		}
		anon, file := s.procStatus("RssAnon:"), s.procStatus("RssFile:")
		pss := -1.0
		if n%5 == 0 {
			// smaps_rollup walks the page tables: sample it less often.
			pss = s.procField("smaps_rollup", "Pss:")
		}
		s.mu.Lock()
		s.peakAnon, s.peakFile, s.peakPSS = max(s.peakAnon, anon), max(s.peakFile, file), max(s.peakPSS, pss)
		s.mu.Unlock()
	}
}

// memory adds the server's memory rows for a phase.
func (s *server) memory(rep *report, phase string, target bool) {
	if target {
		rep.add(phase, "server peak RSS (VmHWM)", s.peakRSS(), "B", "< 100 MB", ltBytes(100<<20))
	} else {
		rep.add(phase, "server peak RSS (VmHWM)", s.peakRSS(), "B", "", nil)
	}
	s.mu.Lock()
	anon, file, pss := s.peakAnon, s.peakFile, s.peakPSS
	s.mu.Unlock()
	rep.add(phase, "  peak RssAnon (sampled: heap, stacks, page caches)", anon, "B", "", nil)
	rep.add(phase, "  peak RssFile (sampled: binary, mmapped database)", file, "B", "", nil)
	rep.add(phase, "server peak PSS (sampled: mapped pages counted once)", pss, "B", "", nil)
}

// procStatus reads a "kB" field of /proc/PID/status in bytes.
func (s *server) procStatus(field string) float64 { return s.procField("status", field) }

// procField reads a "kB" field of /proc/PID/<file> in bytes, or -1.
func (s *server) procField(file, field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", s.cmd.Process.Pid, file))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			f := strings.Fields(rest) // "12345 kB"
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
					return kb * 1024
				}
			}
		}
	}
	return -1
}

// cpuSeconds returns the user+system CPU time the server has used, from
// /proc/PID/stat (in clock ticks of 1/100 s, the Linux USER_HZ), or -1.
func (s *server) cpuSeconds() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	// The command name, field 2, may hold spaces; fields count from after it.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	// utime and stime are fields 14 and 15 of the whole line, so 11 and 12
	// after the name.
	if len(f) < 13 {
		return -1
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return (ut + st) / 100
}
