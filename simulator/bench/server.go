package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/minitwit-cd/kit/internal/logline"
)

// Server is a MiniTwit binary running as a subprocess on 127.0.0.1.
type Server struct {
	// URL is its base URL, from its "listening on" log line.
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	tail []string // the last lines of its log, for error messages
	err  error
}

// StartServer runs `bin serve --addr 127.0.0.1:0 --db db` and waits for
// its "listening on" line.
func StartServer(ctx context.Context, bin, db string) (*Server, error) {
	s := &Server{done: make(chan struct{})}
	s.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db)
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: start %s: %w", bin, err)
	}
	s.cmd.Stdout = s.cmd.Stderr
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start %s: %w", bin, err)
	}
	urlc := make(chan string, 1)
	go func() {
		// Drain the log so request logging can never block the server.
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		found := false
		for sc.Scan() {
			line := sc.Text()
			if u, ok := logline.ListenURL(line); ok && !found {
				found = true
				urlc <- u
			}
			s.mu.Lock()
			s.tail = append(s.tail, line)
			if len(s.tail) > 20 {
				s.tail = s.tail[1:]
			}
			s.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, stderr)
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	select {
	case u := <-urlc:
		s.URL = strings.TrimRight(strings.Replace(u, "://0.0.0.0:", "://127.0.0.1:", 1), "/")
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("bench: %s exited before listening: %w\n%s", bin, s.err, s.logTail())
	case <-time.After(60 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return nil, fmt.Errorf("bench: %s did not log its address within 60 s:\n%s", bin, s.logTail())
	case <-ctx.Done():
		_ = s.cmd.Process.Kill()
		<-s.done
		return nil, ctx.Err()
	}
}

func (s *Server) logTail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

// Alive returns an error when the server has exited.
func (s *Server) Alive() error {
	select {
	case <-s.done:
		return fmt.Errorf("bench: the server exited: %w\n%s", s.err, s.logTail())
	default:
		return nil
	}
}

// Stop shuts the server down (SIGTERM, SIGKILL after 10 s); calling it
// again is harmless.
func (s *Server) Stop() error {
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
		return errors.New("bench: the server did not stop within 10 s of SIGTERM")
	}
}

// SeedSpec is what `minitwit seed` loads.
type SeedSpec struct {
	Users, Messages, Follows int
	Seed                     int64
}

// UserNames are the names `minitwit seed` gives its users: user0, user1, …
func (s SeedSpec) UserNames() []string {
	names := make([]string, s.Users)
	for i := range names {
		names[i] = fmt.Sprintf("user%d", i)
	}
	return names
}

// SeededDB puts at db a SQLite database seeded by `bin seed` per spec:
// copied from cacheDir when a database for the same spec and cacheKey is
// there, seeded (and cached) otherwise. cacheKey names the schema (say, a
// hash of the app's migrations), so a schema change reseeds; an empty
// cacheDir seeds every time. It returns whether the cache was used.
func SeededDB(ctx context.Context, bin string, spec SeedSpec, cacheDir, cacheKey, db string) (cached bool, err error) {
	if cacheDir == "" {
		return false, seed(ctx, bin, spec, db)
	}
	name := fmt.Sprintf("seed-u%d-m%d-f%d-s%d", spec.Users, spec.Messages, spec.Follows, spec.Seed)
	if cacheKey != "" {
		name += "-" + cacheKey
	}
	path := filepath.Join(cacheDir, name+".db")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(cacheDir, 0o755); err != nil {
			return false, fmt.Errorf("bench: seed cache: %w", err)
		}
		// Seed under a temporary name, so that an interrupted run leaves
		// no half-seeded database under the real one.
		tmp := path + ".partial"
		removeDB(tmp)
		if err := seed(ctx, bin, spec, tmp); err != nil {
			removeDB(tmp)
			return false, err
		}
		if err := copyDB(tmp, path); err != nil {
			return false, err
		}
		removeDB(tmp)
	} else if err != nil {
		return false, fmt.Errorf("bench: seed cache: %w", err)
	} else {
		cached = true
	}
	return cached, copyDB(path, db)
}

// seed runs `bin seed` into a new database at path.
func seed(ctx context.Context, bin string, spec SeedSpec, path string) error {
	cmd := exec.CommandContext(ctx, bin, "seed", "--db", path,
		"--users", fmt.Sprint(spec.Users), "--messages", fmt.Sprint(spec.Messages),
		"--follows", fmt.Sprint(spec.Follows), "--seed", fmt.Sprint(spec.Seed))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("bench: %s seed: %w\n%s", bin, err, out)
	}
	return nil
}

// copyDB copies an SQLite database that no process has open, with its WAL
// if one is left.
func copyDB(src, dst string) error {
	removeDB(dst)
	for _, suffix := range []string{"", "-wal"} {
		if err := copyFile(src+suffix, dst+suffix); err != nil {
			if suffix != "" && errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return fmt.Errorf("bench: copy database: %w", err)
		}
	}
	return nil
}

func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		_ = os.Remove(path + suffix)
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}
