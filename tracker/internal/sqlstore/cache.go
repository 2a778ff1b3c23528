package sqlstore

import (
	"strconv"
	"sync"
)

// artInfo is what a snapshot shows of a fingerprint: the flow, commit and
// compliance of the org's most recent artifact with it.
type artInfo struct {
	known                    bool
	flow, commit, url, state string
}

// fpCache remembers artInfo per org and fingerprint so that showing a
// 500-artifact snapshot does not probe the artifacts index 500 times.
// Every write that can change an artInfo clears it; a generation number
// stops a read that raced with such a write from storing stale data. It
// is only used where one process owns the database (SQLite).
type fpCache struct {
	mu  sync.RWMutex
	gen uint64
	m   map[string]artInfo
}

// maxCached bounds the cache (about 200 bytes an entry).
const maxCached = 250_000

func cacheKey(orgID int64, fp string) string { return strconv.FormatInt(orgID, 10) + ":" + fp }

func (c *fpCache) get(orgID int64, fp string) (artInfo, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[cacheKey(orgID, fp)]
	return v, ok
}

func (c *fpCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put stores infos read at generation gen, unless a write happened since.
func (c *fpCache) put(orgID int64, gen uint64, infos map[string]artInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m)+len(infos) > maxCached {
		c.m = make(map[string]artInfo, len(infos))
	}
	for fp, v := range infos {
		c.m[cacheKey(orgID, fp)] = v
	}
}

// invalidate forgets everything; writers call it after they commit.
func (c *fpCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m = nil
}
