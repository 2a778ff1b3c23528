// Package logline reads the one log line every server of the kit writes
// when it accepts connections, "listening on http://HOST:PORT" (or "NAME
// listening on …" for a second listener), so a harness that starts a
// server on port 0 learns its address. Tests (through testenv) and the
// simulator's bench, which starts MiniTwit, share it.
package logline

import "regexp"

// listenRE matches a listening line in slog's text or JSON format.
var listenRE = regexp.MustCompile(`(?:^|[ "=])(?:([A-Za-z][A-Za-z ]*?) )?listening on (https?://[^ "\s]+)`)

// ListenURLs returns the URLs the listening lines of logs announce, keyed
// by the listener's name ("" for the main one, "simulator API" for
// MiniTwit's API-only port).
func ListenURLs(logs string) map[string]string {
	out := map[string]string{}
	for _, m := range listenRE.FindAllStringSubmatch(logs, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// ListenURL returns the main listener's URL, if logs announce it.
func ListenURL(logs string) (string, bool) {
	u, ok := ListenURLs(logs)[""]
	return u, ok
}
