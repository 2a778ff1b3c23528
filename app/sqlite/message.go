package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/minitwit-cd/kit/app/minitwit"
)

// AddMessage stores a message by an existing user; ENOTFOUND when the
// author does not exist (the foreign key says so, no extra lookup).
func (db *DB) AddMessage(ctx context.Context, authorID int64, text string, pubDate time.Time) (int64, error) {
	if err := minitwit.ValidateMessage(text); err != nil {
		return 0, err
	}
	res, err := db.write(ctx, db.insMessage, authorID, text, pubDate.Unix())
	if err != nil {
		if sqliteCode(err) == sqlite3.ErrConstraintForeignKey {
			return 0, minitwit.Errorf(minitwit.ENOTFOUND, "Unknown user %d", authorID)
		}
		return 0, fmt.Errorf("sqlite: add message by %d: %w", authorID, err)
	}
	db.cache.invalidate()
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("sqlite: add message by %d: %w", authorID, err)
	}
	return id, nil
}

// PublicTimeline returns everyone's unflagged messages, newest first. The
// first page is served from a cache that every message write invalidates.
func (db *DB) PublicTimeline(ctx context.Context, page minitwit.Page) ([]minitwit.Message, error) {
	first := page.BeforeID <= 0
	var gen uint64
	var now time.Time
	if first {
		now = time.Now()
		if msgs, ok := db.cache.get(page.Size(), now); ok {
			return msgs, nil
		}
		gen = db.cache.gen.Load()
	}
	msgs, err := scanMessages(db.public.QueryContext(ctx, page.Before(), page.Size()))
	if err != nil {
		return nil, fmt.Errorf("sqlite: public timeline: %w", err)
	}
	if first {
		db.cache.put(page.Size(), gen, now, msgs)
	}
	return msgs, nil
}

// UserTimeline returns one user's unflagged messages, newest first.
func (db *DB) UserTimeline(ctx context.Context, userID int64, page minitwit.Page) ([]minitwit.Message, error) {
	msgs, err := scanMessages(db.user.QueryContext(ctx, page.Before(), page.Size(), userID))
	if err != nil {
		return nil, fmt.Errorf("sqlite: timeline of user %d: %w", userID, err)
	}
	return msgs, nil
}

// HomeTimeline returns the unflagged messages of the user and of everyone
// the user follows, newest first.
func (db *DB) HomeTimeline(ctx context.Context, userID int64, page minitwit.Page) ([]minitwit.Message, error) {
	msgs, err := scanMessages(db.home.QueryContext(ctx, page.Before(), page.Size(), userID))
	if err != nil {
		return nil, fmt.Errorf("sqlite: home timeline of user %d: %w", userID, err)
	}
	return msgs, nil
}

// scanMessages reads the rows of a timeline query (messageColumns).
func scanMessages(rows *sql.Rows, err error) ([]minitwit.Message, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	msgs := make([]minitwit.Message, 0, 32)
	for rows.Next() {
		var m minitwit.Message
		var pub int64
		if err := rows.Scan(&m.ID, &m.AuthorID, &m.Author, &m.Email, &m.Text, &pub); err != nil {
			return nil, err
		}
		m.PubDate = time.Unix(pub, 0).UTC()
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return msgs, nil
}

// FlagMessage hides (flagged) or shows a message, as the course's
// moderation tool does; ENOTFOUND for an unknown ID. Not part of
// minitwit.Store: no endpoint flags messages.
func (db *DB) FlagMessage(ctx context.Context, id int64, flagged bool) error {
	f := 0
	if flagged {
		f = 1
	}
	res, err := db.w.ExecContext(ctx, `UPDATE message SET flagged = ? WHERE message_id = ?`, f, id)
	db.cache.invalidate()
	if err != nil {
		return fmt.Errorf("sqlite: flag message %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: flag message %d: %w", id, err)
	} else if n == 0 {
		return minitwit.Errorf(minitwit.ENOTFOUND, "Unknown message %d", id)
	}
	return nil
}
