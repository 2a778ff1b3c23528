package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"time"
)

// Release is one good deploy the VM remembers: what Rollback returns to.
type Release struct {
	Image    string    `json:"image"`
	Commit   string    `json:"commit"`
	Colour   string    `json:"colour"`
	Replicas int       `json:"replicas"`
	Forced   bool      `json:"forced,omitempty"`
	Deployed time.Time `json:"deployed"`
}

// State is what the VM keeps in DIR/state/releases.json: the good
// releases, oldest first; the last one is serving.
type State struct {
	Env      string    `json:"env"`
	Releases []Release `json:"releases"`
}

// Current is the serving release (nil before the first deploy).
func (s *State) Current() *Release {
	if len(s.Releases) == 0 {
		return nil
	}
	return &s.Releases[len(s.Releases)-1]
}

// keepReleases bounds the history.
const keepReleases = 20

func statePath(dir string) string { return path.Join(dir, "state", "releases.json") }

func (c *conn) readState(dir string) (*State, error) {
	b, err := c.readFile(statePath(dir))
	if errors.Is(err, os.ErrNotExist) {
		return &State{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("read state %s: %w", statePath(dir), err)
	}
	return &s, nil
}

func (c *conn) writeState(dir string, s *State) error {
	if n := len(s.Releases); n > keepReleases {
		s.Releases = s.Releases[n-keepReleases:]
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return c.writeFile(statePath(dir), append(b, '\n'), 0o640)
}

// ReadState connects to the VM and returns its release history.
func ReadState(ctx context.Context, t Target) (*State, error) {
	t = t.withDefaults()
	c, err := dial(ctx, t)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.readState(t.Dir)
}
