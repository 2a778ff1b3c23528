package postgres

import (
	"strings"
	"unicode/utf8"

	"github.com/minitwit-cd/kit/app/minitwit"
)

// checkText rejects text that the stores cannot keep alike: PostgreSQL
// refuses NUL characters and invalid UTF-8 in TEXT, SQLite would store
// them. Both stores answer EINVALID instead, so a client sending them gets
// a 400 from either, never an internal error.
func checkText(what, s string) error {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return minitwit.Errorf(minitwit.EINVALID, "The %s contains characters that cannot be stored", what)
	}
	return nil
}
