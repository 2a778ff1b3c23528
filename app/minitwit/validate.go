package minitwit

import (
	"strings"
	"unicode/utf8"
)

// The register error messages, shared by the simulator API and the web UI.
const (
	MsgNoUsername      = "You have to enter a username"
	MsgBadEmail        = "You have to enter a valid email address"
	MsgNoPassword      = "You have to enter a password"
	MsgPasswordsDiffer = "The two passwords do not match"
	MsgUsernameTaken   = "The username is already taken"
)

// ValidateRegistration checks a registration in the order both contracts
// require (username, email, password) and returns an EINVALID *Error with
// the contract's message for the first problem. The "username taken" check
// belongs to the store, which enforces it atomically.
func ValidateRegistration(username, email, password string) error {
	switch {
	case username == "":
		return Errorf(EINVALID, "%s", MsgNoUsername)
	case email == "" || !strings.Contains(email, "@"):
		return Errorf(EINVALID, "%s", MsgBadEmail)
	case password == "":
		return Errorf(EINVALID, "%s", MsgNoPassword)
	}
	return nil
}

// CheckText rejects text a database cannot store faithfully, or that is
// over max characters (max 0: no limit), with an EINVALID *Error naming
// the field. Invalid UTF-8 and NUL bytes are refused rather than stored:
// PostgreSQL rejects both and SQLite would keep bytes no page can show, so
// both stores and the HTTP edge answer a 400 alike.
func CheckText(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "The %s is not valid UTF-8", field)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return Errorf(EINVALID, "The %s must not contain NUL characters", field)
	}
	if max > 0 && len(s) > max && utf8.RuneCountInString(s) > max {
		return Errorf(EINVALID, "The %s is too long (at most %d characters)", field, max)
	}
	return nil
}
