package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/app/sqlite"
)

const crashEnv = "MINITWIT_SQLITE_CRASH_CHILD"

// TestCrashKeepsAcknowledgedWrites kills a writing process with SIGKILL
// and checks that every write it had acknowledged (returned from the
// store, as a 204 would follow) is in the file: synchronous=NORMAL in WAL
// mode is durable against a process crash.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	// Read acknowledgements until enough arrived, then kill mid-stream.
	var acked []int64
	sc := bufio.NewScanner(out)
	for len(acked) < 300 && sc.Scan() {
		id, err := strconv.ParseInt(sc.Text(), 10, 64)
		if err != nil {
			continue // test framework output
		}
		acked = append(acked, id)
	}
	if len(acked) < 300 {
		t.Fatalf("child acknowledged only %d writes: %v", len(acked), sc.Err())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true
	cmd.Wait()
	// The pipe may hold acknowledgements written before the kill.
	for sc.Scan() {
		if id, err := strconv.ParseInt(sc.Text(), 10, 64); err == nil {
			acked = append(acked, id)
		}
	}

	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer db.Close()
	u, err := db.UserByName(context.Background(), "crash")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := db.UserTimeline(context.Background(), u.ID, minitwit.Page{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	have := make(map[int64]bool, len(msgs))
	for _, m := range msgs {
		have[m.ID] = true
	}
	for _, id := range acked {
		if !have[id] {
			t.Fatalf("acknowledged message %d is lost after SIGKILL (%d acked, %d stored)", id, len(acked), len(msgs))
		}
	}
	latest, err := db.Latest(context.Background())
	if err != nil || latest < int64(len(acked)) {
		t.Fatalf("Latest = %d, %v; want at least %d", latest, err, len(acked))
	}
}

// TestCrashChild is the process the test above kills; it only runs with
// crashEnv set. It writes until killed, printing each message's ID after
// AddMessage and SetLatest returned.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process for TestCrashKeepsAcknowledgedWrites")
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(ctx, "crash", "c@example.com", "h")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute) // never outlive a lost parent
	for i := int64(1); time.Now().Before(deadline); i++ {
		id, err := db.AddMessage(ctx, u.ID, fmt.Sprint("message ", i), time.Now())
		if err == nil {
			err = db.SetLatest(ctx, i)
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(os.Stdout, id)
	}
}
