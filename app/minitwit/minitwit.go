// Package minitwit is MiniTwit's domain: users, messages, follow edges and
// the simulator's "latest" counter, the Store that keeps them, and the error
// type every layer speaks. It imports nothing of the project; the sqlite and
// postgres packages implement Store, and the http package serves it.
package minitwit

import (
	"context"
	"math"
	"time"
)

// User is a registered account.
type User struct {
	ID       int64
	Username string
	Email    string
	// PwHash is the bcrypt hash of the password; never the password.
	PwHash string
	// SessionGen counts the user's sign-outs: a session is valid only
	// while it carries the current value (see Store.EndSessions).
	SessionGen int64
}

// Message is a posted message joined with its author, as timelines show it.
type Message struct {
	ID       int64
	AuthorID int64
	// Author is the author's username.
	Author string
	// Email is the author's email, for the Gravatar.
	Email   string
	Text    string
	PubDate time.Time
	Flagged bool
}

// DefaultPageSize is the number of messages a web timeline page shows.
const DefaultPageSize = 30

// Page selects one page of a timeline. Timelines are ordered newest first
// by posting order (message ID, descending), which keeps messages posted in
// the same second in their posting order and lets the stores page by key
// instead of by OFFSET, so every page costs the same on any table size.
type Page struct {
	// Limit is the number of messages to return; values < 1 mean DefaultPageSize.
	Limit int
	// BeforeID, when > 0, returns only messages with ID < BeforeID (the
	// next, older page after a page whose last message had that ID).
	BeforeID int64
}

// Size returns the page's limit with the default applied.
func (p Page) Size() int {
	if p.Limit < 1 {
		return DefaultPageSize
	}
	return p.Limit
}

// Before returns the page's key as an exclusive upper bound on message
// IDs: BeforeID when set, else math.MaxInt64 (from the newest message).
func (p Page) Before() int64 {
	if p.BeforeID > 0 {
		return p.BeforeID
	}
	return math.MaxInt64
}

// Store keeps MiniTwit's state. Implementations are safe for concurrent use.
// Methods return *Error values with a Code (ENOTFOUND, ECONFLICT …) for
// conditions callers branch on, and wrap everything else.
type Store interface {
	// The writes CreateUser, AddMessage, Follow and Unfollow record the
	// action ID of a context made by WithLatest in the same transaction
	// as their change (one commit per action); when they fail, neither
	// is committed.

	// CreateUser stores a new user. A taken username is ECONFLICT with the
	// message "The username is already taken"; under concurrent calls with
	// one name exactly one succeeds.
	CreateUser(ctx context.Context, username, email, pwHash string) (User, error)
	// UserByName returns the user with that exact username, or ENOTFOUND.
	UserByName(ctx context.Context, username string) (User, error)
	// UserByID returns the user with that ID, or ENOTFOUND.
	UserByID(ctx context.Context, id int64) (User, error)
	// EndSessions signs the user out everywhere: it increments the user's
	// SessionGen, which every session cookie issued before no longer
	// matches. ENOTFOUND for an unknown user.
	EndSessions(ctx context.Context, userID int64) error

	// AddMessage stores a message by an existing user at pubDate (stored
	// with one-second precision) and returns its ID.
	AddMessage(ctx context.Context, authorID int64, text string, pubDate time.Time) (int64, error)
	// PublicTimeline returns everyone's unflagged messages, newest first.
	PublicTimeline(ctx context.Context, page Page) ([]Message, error)
	// UserTimeline returns one user's unflagged messages, newest first.
	UserTimeline(ctx context.Context, userID int64, page Page) ([]Message, error)
	// HomeTimeline returns the unflagged messages of a user and of everyone
	// that user follows, newest first.
	HomeTimeline(ctx context.Context, userID int64, page Page) ([]Message, error)

	// Follow makes who follow whom; following twice keeps one edge.
	// ENOTFOUND when either user does not exist.
	Follow(ctx context.Context, who, whom int64) error
	// Unfollow removes the edge; removing an absent edge is not an error.
	Unfollow(ctx context.Context, who, whom int64) error
	// IsFollowing reports whether who follows whom.
	IsFollowing(ctx context.Context, who, whom int64) (bool, error)
	// Following returns the usernames whom who follows, at most limit, in
	// the order the follows were made.
	Following(ctx context.Context, who int64, limit int) ([]string, error)

	// SetLatest records the ID of the latest simulator action processed,
	// for actions that wrote nothing (a read, a refused action).
	SetLatest(ctx context.Context, latest int64) error
	// Latest returns the recorded ID, or -1 when none was ever recorded.
	Latest(ctx context.Context) (int64, error)

	// Stats counts users and messages (for /metrics).
	Stats(ctx context.Context) (Stats, error)
	// Ping checks that the database answers (for /healthz).
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// Stats are the store's gauges.
type Stats struct {
	Users    int64
	Messages int64
	Follows  int64
}
