// Package httplabel bounds the values that request attributes contribute
// to metric labels. A label value is a time series for as long as the
// process lives, so anything a client chooses freely (the method, the
// path) must map onto a fixed set before it becomes one: 5,000 made-up
// methods once grew a /metrics page from 55 KB to 8 MB. Both servers of
// the kit (MiniTwit and the tracker) use it.
package httplabel

import "net/http"

// Other is the label value of every method outside the standard ones.
const Other = "other"

// Method returns the method itself for the nine methods of RFC 9110 and
// RFC 5789 (GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS,
// TRACE), and Other for anything else.
func Method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return Other
}
