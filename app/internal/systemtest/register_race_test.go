package systemtest

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestConcurrentRegistrationOfOneName sends the same registration from many
// clients at once over real HTTP: exactly one may win (204), every other
// one must be the contract's 400, and none may be a 500.
func TestConcurrentRegistrationOfOneName(t *testing.T) {
	// Parallel tests start after the scenario replay, which runs alone
	// because it holds every answer to the simulator's 300 ms.
	t.Parallel()
	srv := startServer(t, filepath.Join(t.TempDir(), "minitwit.db"))
	tests := []struct{ name, username string }{
		{"ascii", "racer"},
		{"spaces and non-ascii", "Ræcer Ünïcode"},
	}
	const clients = 24
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := make(chan struct{})
			statuses := make([]int, clients)
			bodies := make([][]byte, clients)
			errs := make([]error, clients)
			var wg sync.WaitGroup
			for i := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// One connection per client, so the requests really
					// race inside the server.
					c := newSimClient(srv.URL)
					c.http.Timeout = 10 * time.Second
					<-start
					statuses[i], bodies[i], errs[i] = c.call(http.MethodPost, "/register", int64(i),
						map[string]string{"username": tt.username, "email": "race@example.com", "pwd": "secret"})
				}()
			}
			close(start)
			wg.Wait()
			won := 0
			for i := range clients {
				switch {
				case errs[i] != nil:
					t.Errorf("client %d: %v", i, errs[i])
				case statuses[i] == http.StatusNoContent:
					won++
				case statuses[i] == http.StatusBadRequest:
					var e struct {
						Status   int    `json:"status"`
						ErrorMsg string `json:"error_msg"`
					}
					if err := json.Unmarshal(bodies[i], &e); err != nil || e.Status != 400 || e.ErrorMsg != "The username is already taken" {
						t.Errorf("client %d: 400 body %s, want the 'already taken' JSON error", i, bodies[i])
					}
				default:
					t.Errorf("client %d: status %d body %s", i, statuses[i], bodies[i])
				}
			}
			if won != 1 {
				t.Errorf("%d registrations of %q succeeded, want exactly 1", won, tt.username)
			}
			// The winner is a real user now.
			newPooledClient(srv.URL, 5*time.Second).messages(t, userPath("/msgs/", tt.username), 10)
		})
	}
}
