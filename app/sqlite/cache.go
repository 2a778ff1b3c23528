package sqlite

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minitwit-cd/kit/app/minitwit"
)

// publicCache keeps the first page of the public timeline, per page size.
// Every reader of GET /msgs and /public asks for the same rows until the
// next message is posted, and reading 100 rows costs SQLite far more than
// copying them, so this is what lets one SQLite file serve thousands of
// those requests a second.
//
// Writes through this DB bump gen after they commit, which invalidates
// every entry at once; a reader records the gen it saw before querying, so
// a result that raced with a write is never served as current. Writes by
// another process to the same file are not seen here, so entries also
// expire after publicCacheTTL.
type publicCache struct {
	gen atomic.Uint64
	mu  sync.RWMutex
	m   map[int]publicEntry
}

type publicEntry struct {
	gen  uint64
	at   time.Time
	msgs []minitwit.Message
}

const (
	publicCacheTTL = time.Second
	// Page sizes come from requests: keep a handful, not one per value.
	publicCacheMax = 8
)

// invalidate is called after a write to messages commits.
func (c *publicCache) invalidate() { c.gen.Add(1) }

// get returns a copy of the cached page of size limit, if it is current.
func (c *publicCache) get(limit int, now time.Time) ([]minitwit.Message, bool) {
	c.mu.RLock()
	e, ok := c.m[limit]
	c.mu.RUnlock()
	if !ok || e.gen != c.gen.Load() || now.Sub(e.at) > publicCacheTTL {
		return nil, false
	}
	// A copy: callers may modify what they get.
	return slices.Clone(e.msgs), true
}

// put stores a page read when gen was current.
func (c *publicCache) put(limit int, gen uint64, at time.Time, msgs []minitwit.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[int]publicEntry)
	}
	if _, ok := c.m[limit]; !ok && len(c.m) >= publicCacheMax {
		return
	}
	c.m[limit] = publicEntry{gen: gen, at: at, msgs: slices.Clone(msgs)}
}
