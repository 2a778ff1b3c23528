package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/simreport"
	"github.com/minitwit-cd/kit/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveKitBinaries()
	os.Exit(code)
}

// simRun is the real `simulator run` against the VM's nginx: a generated
// scenario's replay, then its open-model write load (tweets, follows,
// unfollows through the simulator API) until stopped.
type simRun struct {
	cmd    *exec.Cmd
	out    *testenv.SyncBuffer
	json   string
	exited chan struct{}
}

// startSimulator starts the run and returns once its load test has begun.
// A request counts as failed when it gets no answer within 5 s, or a
// wrong status: slow answers on a loaded machine are not what is measured.
// It connects as the course's simulator does, a new connection for every
// request (--keep-alive=false): on a kept-alive connection, a POST sent
// just as nginx's reload retires the old worker that holds the connection
// idle fails (connection reset), and an HTTP client may not resend a POST
// on its own. That race belongs to keep-alive with any graceful reload,
// not to this deploy; the README says so.
func (e *env) startSimulator(t *testing.T, rate int) *simRun {
	t.Helper()
	bin := testenv.KitBinary(t, "github.com/minitwit-cd/kit/simulator")
	dir := t.TempDir()
	scen := filepath.Join(dir, "scenario.tsv")
	if out, err := exec.Command(bin, "generate", "--users", "20", "--actions", "100", "--seed", "1", "-o", scen).CombinedOutput(); err != nil {
		t.Fatalf("simulator generate: %v\n%s", err, out)
	}
	s := &simRun{out: &testenv.SyncBuffer{}, json: filepath.Join(dir, "report.json"), exited: make(chan struct{})}
	s.cmd = exec.Command(bin, "run", "-t", e.vm.HTTPURL, "-s", scen, "--max", "--rate", strconv.Itoa(rate),
		"--duration", "3m", "--timeout", "5s", "--keep-alive=false", "--json", s.json)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.exited
	})
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(s.out.String(), "load test: ") {
		select {
		case <-s.exited:
			t.Fatalf("the simulator exited before its load test:\n%s", s.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the simulator's load test did not start within 60 s:\n%s", s.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// stop interrupts the run (Ctrl-C) and returns the report it wrote.
func (s *simRun) stop(t *testing.T) simreport.Report {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("the simulator did not stop within 30 s of SIGINT:\n%s", s.out.String())
	}
	f, err := os.Open(s.json)
	if err != nil {
		t.Fatalf("the simulator's report: %v\n%s", err, s.out.String())
	}
	defer f.Close()
	rep, err := simreport.Decode(f)
	if err != nil {
		t.Fatalf("the simulator's report: %v", err)
	}
	return rep
}
