package minitwit

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Limits on what users type. Anything beyond them is an EINVALID error
// naming the limit.
const (
	// MaxUsernameLen caps usernames, in characters (runes).
	MaxUsernameLen = 255
	// MaxEmailLen caps e-mail addresses, in characters.
	MaxEmailLen = 255
	// MaxPasswordBytes is bcrypt's limit: it hashes only the first 72
	// bytes and refuses longer input.
	MaxPasswordBytes = 72
	// MaxMessageLen caps a message, in characters. The course's scenario
	// never exceeds 150; 1,000 leaves people room while keeping the
	// largest API answer (1,000 messages) at a few megabytes instead of
	// the gigabyte that body-sized messages allowed.
	MaxMessageLen = 1000
)

// The sign-in error messages of the web contract.
const (
	MsgInvalidUsername = "Invalid username"
	MsgInvalidPassword = "Invalid password"
)

// DefaultBcryptCost is the password hashing cost when none is configured.
// It is below bcrypt.DefaultCost (10) on purpose: a registration must
// answer well within the course simulator's 300 ms, and on a busy 2-core
// host cost 10 alone takes 60 ms idle and over 250 ms under load, while 8
// takes a quarter of that. Raise it (--bcrypt-cost) on a dedicated host.
const DefaultBcryptCost = 8

// ValidateMessage checks a message's text: storable, at most
// MaxMessageLen characters.
func ValidateMessage(text string) error {
	return CheckText("message", text, MaxMessageLen)
}

// Accounts is the registration and sign-in service that the web form and
// the simulator API share: the contract's checks in order, the limits,
// the taken-name check and password hashing. Password checks are CPU
// work an anonymous client can ask for, so they run at most
// max(1, GOMAXPROCS/2) at a time: a flood of sign-ins leaves the other
// cores to everything else. Registrations hash outside that bound,
// because the simulator's registrations must not queue behind attackers.
type Accounts struct {
	store Store
	cost  int
	// checks bounds concurrent password comparisons.
	checks chan struct{}
	// dummy is compared for unknown users, so that an unknown name costs
	// what a wrong password costs and timing does not reveal which
	// names exist.
	dummy []byte
}

// NewAccounts returns the service on store with the bcrypt cost (0:
// DefaultBcryptCost). It fails for a cost outside bcrypt's range.
func NewAccounts(store Store, cost int) (*Accounts, error) {
	if cost == 0 {
		cost = DefaultBcryptCost
	}
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("bcrypt cost %d is outside %d..%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("no user has this password"), cost)
	if err != nil {
		return nil, fmt.Errorf("accounts: dummy hash: %w", err)
	}
	return &Accounts{
		store:  store,
		cost:   cost,
		checks: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
		dummy:  dummy,
	}, nil
}

// MaxCheckWait bounds how long a sign-in waits for a free password check
// slot before it is refused as EUNAVAILABLE: under a flood, queued
// attempts neither pile up without end nor keep a person waiting long.
const MaxCheckWait = 2 * time.Second

// Register validates and stores a new user: the contract's messages in
// its order (username, email, password), then the limits, then "The
// username is already taken". The web form checks its second password
// field before calling it.
func (a *Accounts) Register(ctx context.Context, username, email, password string) (User, error) {
	if err := ValidateRegistration(username, email, password); err != nil {
		return User{}, err
	}
	if err := CheckText("username", username, MaxUsernameLen); err != nil {
		return User{}, err
	}
	if err := CheckText("email", email, MaxEmailLen); err != nil {
		return User{}, err
	}
	if err := CheckText("password", password, 0); err != nil {
		return User{}, err
	}
	if len(password) > MaxPasswordBytes {
		return User{}, Errorf(EINVALID, "The password is too long (at most %d bytes)", MaxPasswordBytes)
	}
	// A cheap look-up first spares a bcrypt hash for a taken name; the
	// store still decides atomically.
	if _, err := a.store.UserByName(ctx, username); err == nil {
		return User{}, Errorf(ECONFLICT, "%s", MsgUsernameTaken)
	} else if ErrorCode(err) != ENOTFOUND {
		return User{}, fmt.Errorf("look up user %q: %w", username, err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), a.cost)
	if err != nil {
		return User{}, fmt.Errorf("hash password: %w", err)
	}
	u, err := a.store.CreateUser(ctx, username, email, string(hash))
	if err != nil {
		if ErrorCode(err) == ECONFLICT {
			return User{}, Errorf(ECONFLICT, "%s", MsgUsernameTaken)
		}
		return User{}, fmt.Errorf("create user %q: %w", username, err)
	}
	return u, nil
}

// Authenticate returns the user when the password is theirs. An unknown
// name is EUNAUTHORIZED "Invalid username" and a wrong password
// EUNAUTHORIZED "Invalid password", the web contract's messages; both
// cost one bcrypt comparison. It waits for a free password check slot
// until ctx ends or MaxCheckWait has passed (then EUNAVAILABLE).
func (a *Accounts) Authenticate(ctx context.Context, username, password string) (User, error) {
	// A name no user can have is not worth a database round trip, and
	// PostgreSQL would refuse a NUL or invalid UTF-8 in the query.
	var u User
	err := CheckText("username", username, MaxUsernameLen)
	if err == nil {
		u, err = a.store.UserByName(ctx, username)
	}
	known := true
	switch ErrorCode(err) {
	case "":
	case EINVALID, ENOTFOUND:
		known = false
	default:
		return User{}, fmt.Errorf("look up user %q: %w", username, err)
	}
	hash := a.dummy
	if known {
		hash = []byte(u.PwHash)
	}
	wait := time.NewTimer(MaxCheckWait)
	defer wait.Stop()
	select {
	case a.checks <- struct{}{}:
	case <-ctx.Done():
		return User{}, fmt.Errorf("wait for a password check: %w", ctx.Err())
	case <-wait.C:
		return User{}, Errorf(EUNAVAILABLE, "Too many sign-ins at once. Try again in a moment.")
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	<-a.checks
	switch {
	case !known:
		return User{}, Errorf(EUNAUTHORIZED, "%s", MsgInvalidUsername)
	case !match:
		return User{}, Errorf(EUNAUTHORIZED, "%s", MsgInvalidPassword)
	}
	return u, nil
}
