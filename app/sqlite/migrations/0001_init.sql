-- MiniTwit's schema, with the course's table and column names.

CREATE TABLE user (
	user_id  INTEGER PRIMARY KEY,
	username TEXT    NOT NULL UNIQUE,
	email    TEXT    NOT NULL,
	pw_hash  TEXT    NOT NULL
);

-- message_id is the rowid: timelines page by it, newest first, so it must
-- only grow. Messages are never deleted, so max(rowid)+1 does.
CREATE TABLE message (
	message_id INTEGER PRIMARY KEY,
	author_id  INTEGER NOT NULL REFERENCES user (user_id),
	text       TEXT    NOT NULL,
	pub_date   INTEGER NOT NULL,
	flagged    INTEGER NOT NULL DEFAULT 0
);

-- One author's unflagged messages newest first: user timelines, and each
-- followed author's slice of the home timeline, read only the entries they
-- return. flagged is a key column (not a partial-index condition) so that
-- SQLite treats the index as covering for the home timeline's ID search.
CREATE INDEX message_author ON message (author_id, flagged, message_id);

-- seq orders one user's follows in the order they were made (Following).
CREATE TABLE follower (
	who_id  INTEGER NOT NULL REFERENCES user (user_id),
	whom_id INTEGER NOT NULL REFERENCES user (user_id),
	seq     INTEGER NOT NULL,
	PRIMARY KEY (who_id, whom_id)
) WITHOUT ROWID;

CREATE INDEX follower_seq ON follower (who_id, seq);

-- The simulator's "latest" counter: a single row.
CREATE TABLE latest (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	value INTEGER NOT NULL
);
