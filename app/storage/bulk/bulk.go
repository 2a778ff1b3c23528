// Package bulk describes a batch of generated rows that a store loads in
// one fast pass (a transaction of multi-row inserts for SQLite, COPY for
// PostgreSQL). It exists so that storage.Seed can drive both stores without
// the stores importing storage, and without putting benchmark plumbing into
// the domain package.
package bulk

import (
	"context"
	"fmt"

	"github.com/minitwit-cd/kit/app/minitwit"
)

// Data is one batch. Messages and follows refer to users by their index in
// Users, because the database assigns the IDs.
type Data struct {
	// Users to create; their ID fields are ignored.
	Users []minitwit.User
	// Messages is the number of messages; Message(i) returns the i-th one,
	// in posting order (the loader gives them increasing IDs in that order).
	Messages int
	// Message returns message i: its author's index in Users, its text and
	// its Unix time in seconds. Loaders call it once for each i, in order.
	Message func(i int) (author int, text string, pubDate int64)
	// Follows are distinct (who, whom) pairs of indexes into Users, in the
	// order the follows are made.
	Follows [][2]int
	// Progress, when not nil, is called now and then with the number of
	// rows loaded so far and Total().
	Progress func(done, total int)
}

// Total is the number of rows in the batch.
func (d *Data) Total() int { return len(d.Users) + d.Messages + len(d.Follows) }

// Report calls Progress when it is set.
func (d *Data) Report(done int) {
	if d.Progress != nil {
		d.Progress(done, d.Total())
	}
}

// CheckedMessage returns Message(i), or an error if its author index is
// not an index into Users. Loaders call it instead of Message.
func (d *Data) CheckedMessage(i int) (author int, text string, pubDate int64, err error) {
	author, text, pubDate = d.Message(i)
	if author < 0 || author >= len(d.Users) {
		return 0, "", 0, fmt.Errorf("message %d: author index %d out of range", i, author)
	}
	return author, text, pubDate, nil
}

// CheckedFollow returns Follows[i], or an error if either index is not an
// index into Users.
func (d *Data) CheckedFollow(i int) ([2]int, error) {
	f := d.Follows[i]
	if f[0] < 0 || f[0] >= len(d.Users) || f[1] < 0 || f[1] >= len(d.Users) {
		return f, fmt.Errorf("follow %d: user index out of range", i)
	}
	return f, nil
}

// Loader is implemented by stores that can load a Data batch fast. The
// load is all or nothing: on error nothing of the batch remains.
type Loader interface {
	BulkLoad(ctx context.Context, d *Data) error
}
