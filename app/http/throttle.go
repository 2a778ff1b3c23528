package http

import (
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultLoginLimit is the sign-in attempts a client address may make in a
// burst, and per minute after it, when none is configured: far more than
// a person or the course's UI tests need, far fewer than the ~100 bcrypt
// checks a second that 16 scripted connections ask for.
const DefaultLoginLimit = 60

// maxThrottled bounds the addresses the throttle remembers: beyond it,
// addresses whose allowance has refilled are forgotten first, and if the
// map is still full it starts again empty (each entry is ~100 bytes).
const maxThrottled = 100_000

// throttle is a token bucket per client address: limit attempts at once,
// refilled at limit per minute.
type throttle struct {
	limit float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newThrottle(limit int, now func() time.Time) *throttle {
	return &throttle{limit: float64(limit), now: now, buckets: map[string]*bucket{}}
}

// allow takes one attempt from addr's allowance. When there is none left
// it returns false and how long until the next attempt is allowed.
func (t *throttle) allow(addr string) (bool, time.Duration) {
	now := t.now()
	rate := t.limit / 60 // tokens per second
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.buckets[addr]
	if !ok {
		if len(t.buckets) >= maxThrottled {
			t.prune(now, rate)
		}
		b = &bucket{tokens: t.limit, at: now}
		t.buckets[addr] = b
	}
	b.tokens = math.Min(t.limit, b.tokens+now.Sub(b.at).Seconds()*rate)
	b.at = now
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) / rate * float64(time.Second))
		return false, wait
	}
	b.tokens--
	return true, 0
}

// prune forgets the addresses whose allowance is full again; t.mu is held.
func (t *throttle) prune(now time.Time, rate float64) {
	for k, b := range t.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*rate >= t.limit {
			delete(t.buckets, k)
		}
	}
	if len(t.buckets) >= maxThrottled {
		clear(t.buckets)
	}
}

// clientAddr is the address a request comes from: the peer's IP, or,
// behind a trusted proxy, the last address in X-Forwarded-For (the one
// the proxy itself added; earlier ones are the client's to invent).
func clientAddr(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if a := strings.TrimSpace(last); a != "" {
				return a
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// isHTTPS reports whether the client reached us over TLS: directly, or,
// behind a trusted TLS-terminating proxy, as its X-Forwarded-Proto says.
func isHTTPS(r *http.Request, trustProxy bool) bool {
	return r.TLS != nil || trustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
