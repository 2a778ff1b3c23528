package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mattn/go-sqlite3"

	"github.com/minitwit-cd/kit/app/minitwit"
)

// CreateUser inserts a user. The UNIQUE constraint on username makes the
// check atomic: of concurrent calls with one name, one inserts and the
// others get ECONFLICT.
func (db *DB) CreateUser(ctx context.Context, username, email, pwHash string) (minitwit.User, error) {
	for _, f := range [][2]string{{"username", username}, {"email", email}, {"password hash", pwHash}} {
		if err := minitwit.CheckText(f[0], f[1], 0); err != nil {
			return minitwit.User{}, err
		}
	}
	res, err := db.write(ctx, db.insUser, username, email, pwHash)
	if err != nil {
		if c := sqliteCode(err); c == sqlite3.ErrConstraintUnique || c == sqlite3.ErrConstraintPrimaryKey {
			return minitwit.User{}, minitwit.Errorf(minitwit.ECONFLICT, "%s", minitwit.MsgUsernameTaken)
		}
		return minitwit.User{}, fmt.Errorf("sqlite: create user %q: %w", username, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return minitwit.User{}, fmt.Errorf("sqlite: create user %q: %w", username, err)
	}
	return minitwit.User{ID: id, Username: username, Email: email, PwHash: pwHash}, nil
}

// UserByName returns the user with exactly that username, or ENOTFOUND.
func (db *DB) UserByName(ctx context.Context, username string) (minitwit.User, error) {
	if minitwit.CheckText("username", username, 0) != nil {
		// No stored name contains such characters (CreateUser refuses
		// them), and PostgreSQL would fail on them as a parameter.
		return minitwit.User{}, minitwit.Errorf(minitwit.ENOTFOUND, "Unknown user %q", username)
	}
	var u minitwit.User
	err := db.userByName.QueryRowContext(ctx, username).Scan(&u.ID, &u.Username, &u.Email, &u.PwHash, &u.SessionGen)
	if errors.Is(err, sql.ErrNoRows) {
		return minitwit.User{}, minitwit.Errorf(minitwit.ENOTFOUND, "Unknown user %q", username)
	} else if err != nil {
		return minitwit.User{}, fmt.Errorf("sqlite: user %q: %w", username, err)
	}
	return u, nil
}

// UserByID returns the user with that ID, or ENOTFOUND.
func (db *DB) UserByID(ctx context.Context, id int64) (minitwit.User, error) {
	var u minitwit.User
	err := db.userByID.QueryRowContext(ctx, id).Scan(&u.ID, &u.Username, &u.Email, &u.PwHash, &u.SessionGen)
	if errors.Is(err, sql.ErrNoRows) {
		return minitwit.User{}, minitwit.Errorf(minitwit.ENOTFOUND, "Unknown user %d", id)
	} else if err != nil {
		return minitwit.User{}, fmt.Errorf("sqlite: user %d: %w", id, err)
	}
	return u, nil
}

// EndSessions increments the user's session generation; ENOTFOUND for an
// unknown user.
func (db *DB) EndSessions(ctx context.Context, userID int64) error {
	res, err := db.w.ExecContext(ctx, `UPDATE user SET session_gen = session_gen + 1 WHERE user_id = ?`, userID)
	if err != nil {
		return fmt.Errorf("sqlite: end sessions of %d: %w", userID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: end sessions of %d: %w", userID, err)
	} else if n == 0 {
		return minitwit.Errorf(minitwit.ENOTFOUND, "Unknown user %d", userID)
	}
	return nil
}
