package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"time"
)

// ErrLocked is wrapped when another deploy holds the VM's lock.
var ErrLocked = errors.New("deploy lock held")

// Lock is the content of the VM's deploy lock file.
type Lock struct {
	Owner    string    `json:"owner"`
	Env      string    `json:"env"`
	Commit   string    `json:"commit,omitempty"`
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
}

func lockPath(dir string) string { return path.Join(dir, "deploy.lock") }

// acquireLock creates the lock file atomically (SFTP open with O_EXCL).
// A lock past its expiry is taken over with a warning; a live one fails
// fast naming its holder.
func (c *conn) acquireLock(ctx context.Context, dir string, l Lock, now time.Time, warn func(string)) (release func(), err error) {
	p := lockPath(dir)
	body, err := json.Marshal(l)
	if err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 2; attempt++ {
		f, err := c.sftp.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		if err == nil {
			_, werr := f.Write(body)
			cerr := f.Close()
			if werr != nil || cerr != nil {
				_ = c.sftp.Remove(p)
				return nil, fmt.Errorf("lock %s: write: %w", p, errors.Join(werr, cerr))
			}
			return func() { c.releaseLock(p, body) }, nil
		}
		held, rerr := c.readFile(p)
		if errors.Is(rerr, os.ErrNotExist) {
			continue // released between our create and our read
		}
		if rerr != nil {
			return nil, fmt.Errorf("lock %s: %w (create: %w)", p, rerr, err)
		}
		var h Lock
		if jerr := json.Unmarshal(held, &h); jerr != nil {
			return nil, fmt.Errorf("lock %s: %w: unreadable lock file (%w); remove it by hand if no deploy runs", p, ErrLocked, jerr)
		}
		if now.Before(h.Expires) {
			return nil, fmt.Errorf("%w on %s by %s (env %s, commit %s) since %s, until %s",
				ErrLocked, c.addr, h.Owner, h.Env, short(h.Commit), h.Acquired.UTC().Format(time.RFC3339), h.Expires.UTC().Format(time.RFC3339))
		}
		// Stale: move it aside, then check that what we moved is the
		// stale lock we read, not a fresh one another deployer just took.
		aside := p + ".stale-" + now.UTC().Format("20060102T150405.000000000")
		if err := c.sftp.PosixRename(p, aside); err != nil {
			continue
		}
		moved, _ := c.readFile(aside)
		if !bytes.Equal(moved, held) {
			_ = c.sftp.PosixRename(aside, p)
			return nil, fmt.Errorf("%w on %s: taken over by another deployer just now", ErrLocked, c.addr)
		}
		_ = c.sftp.Remove(aside)
		warn(fmt.Sprintf("took over a stale deploy lock of %s (env %s, commit %s) that expired at %s",
			h.Owner, h.Env, short(h.Commit), h.Expires.UTC().Format(time.RFC3339)))
	}
	return nil, fmt.Errorf("lock %s: %w on %s: could not take it", p, ErrLocked, c.addr)
}

// releaseLock removes the lock only while it is still ours.
func (c *conn) releaseLock(p string, ours []byte) {
	cur, err := c.readFile(p)
	if err != nil || !bytes.Equal(cur, ours) {
		return
	}
	_ = c.sftp.Remove(p)
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	if commit == "" {
		return "-"
	}
	return commit
}
