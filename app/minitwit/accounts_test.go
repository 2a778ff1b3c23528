package minitwit_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/app/sqlite"
)

func newAccounts(t *testing.T, cost int) (*minitwit.Accounts, minitwit.Store) {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "minitwit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	a, err := minitwit.NewAccounts(store, cost)
	if err != nil {
		t.Fatal(err)
	}
	return a, store
}

func TestAccountsRegisterAndAuthenticate(t *testing.T) {
	a, _ := newAccounts(t, 4)
	ctx := context.Background()
	u, err := a.Register(ctx, "Roger Histand", "r@h", "secret")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, user, pw, code, msg string
	}{
		{"ok", "Roger Histand", "secret", "", ""},
		{"wrong password", "Roger Histand", "nope", minitwit.EUNAUTHORIZED, minitwit.MsgInvalidPassword},
		{"unknown user", "nobody", "secret", minitwit.EUNAUTHORIZED, minitwit.MsgInvalidUsername},
		{"impossible name", "a\x00", "secret", minitwit.EUNAUTHORIZED, minitwit.MsgInvalidUsername},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.Authenticate(ctx, tt.user, tt.pw)
			if minitwit.ErrorCode(err) != tt.code || minitwit.ErrorMessage(err) != tt.msg {
				t.Fatalf("Authenticate: %v", err)
			}
			if err == nil && got.ID != u.ID {
				t.Fatalf("Authenticate returned user %d, want %d", got.ID, u.ID)
			}
		})
	}
	for _, r := range []struct{ name, user, email, pw, msg string }{
		{"taken", "Roger Histand", "x@y", "p", minitwit.MsgUsernameTaken},
		{"order: username first", "", "", "", minitwit.MsgNoUsername},
		{"password over 72 bytes", "long", "l@l", strings.Repeat("x", 73), "The password is too long (at most 72 bytes)"},
	} {
		if _, err := a.Register(ctx, r.user, r.email, r.pw); minitwit.ErrorMessage(err) != r.msg {
			t.Errorf("%s: Register = %v, want %q", r.name, err, r.msg)
		}
	}
	if _, err := minitwit.NewAccounts(nil, 99); err == nil {
		t.Error("NewAccounts accepted bcrypt cost 99")
	}
}

// TestAuthenticateRefusesWhenTheQueueIsLong: password checks run a few at
// a time; attempts that cannot start within MaxCheckWait are refused as
// EUNAVAILABLE rather than queueing without end.
func TestAuthenticateRefusesWhenTheQueueIsLong(t *testing.T) {
	if testing.Short() {
		t.Skip("spends MaxCheckWait on expensive hashes")
	}
	a, _ := newAccounts(t, 12) // a few hundred ms per check
	ctx := context.Background()
	if _, err := a.Register(ctx, "u", "u@u", "pw"); err != nil {
		t.Fatal(err)
	}
	const n = 40
	codes := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := a.Authenticate(ctx, "u", "wrong")
			codes[i] = minitwit.ErrorCode(err)
		})
	}
	wg.Wait()
	counts := map[string]int{}
	for _, c := range codes {
		counts[c]++
	}
	if counts[minitwit.EUNAVAILABLE] == 0 || counts[minitwit.EUNAUTHORIZED] == 0 ||
		counts[minitwit.EUNAVAILABLE]+counts[minitwit.EUNAUTHORIZED] != n {
		t.Fatalf("outcomes %v: want some checked (unauthorized) and the rest refused (unavailable)", counts)
	}
}
