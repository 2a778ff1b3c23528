package http

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/minitwit-cd/kit/app/minitwit"
)

// sessionCookie is the web UI's session cookie name.
const sessionCookie = "minitwit_session"

// session is the web UI's state between requests, kept client-side in a
// signed cookie: who is signed in, the flashes waiting for the next page,
// and the CSRF token the forms carry. Signing (HMAC-SHA256) makes it
// tamper-proof; it holds nothing secret, so it is not encrypted.
//
// A session ends at Exp (Unix seconds, set when it starts and again at
// sign-in), and a signed-in one also when its user signs out anywhere:
// Gen is the user's session generation at sign-in, which sign-out
// increments in the store (minitwit.Store.EndSessions).
type session struct {
	UserID  int64    `json:"u,omitempty"`
	Gen     int64    `json:"g,omitempty"`
	Flashes []string `json:"f,omitempty"`
	CSRF    string   `json:"c,omitempty"`
	Exp     int64    `json:"e"`

	dirty bool
}

// sessions signs and verifies session cookies with one secret.
type sessions struct {
	secret     []byte
	ttl        time.Duration
	trustProxy bool
	now        func() time.Time
}

func (s sessions) sign(payload string) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// load returns the request's session; a missing, malformed or forged
// cookie is an empty session.
func (s sessions) load(r *http.Request) *session {
	sess := &session{}
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return sess
	}
	payload, sig, ok := strings.Cut(ck.Value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(s.sign(payload))) {
		return sess
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return sess
	}
	if err := json.Unmarshal(raw, sess); err != nil {
		return &session{}
	}
	if s.now().Unix() >= sess.Exp {
		// Expired (or from before sessions expired): start afresh.
		return &session{}
	}
	return sess
}

// save writes the session to the response if it changed.
func (s sessions) save(w http.ResponseWriter, r *http.Request, sess *session) {
	if !sess.dirty {
		return
	}
	now := s.now()
	if sess.Exp == 0 {
		sess.Exp = now.Add(s.ttl).Unix()
	}
	raw, _ := json.Marshal(sess) // a struct of ints and strings always marshals
	payload := base64.RawURLEncoding.EncodeToString(raw)
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    payload + "." + s.sign(payload),
		Path:     "/",
		MaxAge:   int(max(sess.Exp-now.Unix(), 1)),
		HttpOnly: true,
		Secure:   isHTTPS(r, s.trustProxy),
		SameSite: http.SameSiteLaxMode,
	})
	sess.dirty = false
}

// maxFlashes bounds the queued flashes, so that a client that never
// renders a page cannot grow the cookie past what browsers keep (4 KiB).
const maxFlashes = 8

// flash queues a message for the next page rendered, dropping the oldest
// beyond maxFlashes.
func (sess *session) flash(msg string) {
	sess.Flashes = append(sess.Flashes, msg)
	if n := len(sess.Flashes); n > maxFlashes {
		sess.Flashes = sess.Flashes[n-maxFlashes:]
	}
	sess.dirty = true
}

// takeFlashes returns the queued flashes and forgets them, so each shows
// once.
func (sess *session) takeFlashes() []string {
	f := sess.Flashes
	if len(f) > 0 {
		sess.Flashes = nil
		sess.dirty = true
	}
	return f
}

// signIn records the signed-in user and the user's session generation,
// restarts the expiry and rotates the CSRF token, so a token seen before
// sign-in is worthless after it.
func (sess *session) signIn(u minitwit.User) {
	sess.UserID = u.ID
	sess.Gen = u.SessionGen
	sess.Exp = 0 // save sets a fresh one
	sess.CSRF = ""
	sess.dirty = true
}

// signOut forgets the user and the CSRF token; flashes survive.
func (sess *session) signOut() {
	sess.UserID = 0
	sess.Gen = 0
	sess.CSRF = ""
	sess.dirty = true
}

// csrfToken returns the session's CSRF token, creating one if needed.
func (sess *session) csrfToken() string {
	if sess.CSRF == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b) // crypto/rand.Read never fails
		sess.CSRF = base64.RawURLEncoding.EncodeToString(b)
		sess.dirty = true
	}
	return sess.CSRF
}
