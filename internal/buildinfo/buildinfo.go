// Package buildinfo holds the version, commit and build date of the kit's
// binaries. The values are set at link time:
//
//	go build -ldflags "-X github.com/minitwit-cd/kit/internal/buildinfo.Version=v1.2.3 \
//	  -X github.com/minitwit-cd/kit/internal/buildinfo.Commit=$(git rev-parse HEAD) \
//	  -X github.com/minitwit-cd/kit/internal/buildinfo.Date=$(date -u +%FT%TZ)"
//
// When they are not set, Commit and Date fall back to the VCS revision and
// time the Go toolchain embedded (go build stamps them unless
// -buildvcs=false), and failing that, for `go run` and `go test`, which
// never stamp, to what git says of the working directory's checkout: the
// kit's whole point is knowing which commit runs.
package buildinfo

import (
	"context"
	"fmt"
	"os/exec"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// Version is the release version, "dev" unless set by -ldflags.
var Version = "dev"

// Commit is the full git commit the binary was built from.
var Commit = ""

// Date is the build time in RFC 3339, UTC.
var Date = ""

// Info is the JSON shape served by every server's /version endpoint.
type Info struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
	// Dirty is true when the binary was built from a checkout with
	// uncommitted changes (known only from the VCS stamp or git).
	Dirty bool `json:"dirty,omitempty"`
}

// Get returns the build information, filling Commit and Date from the
// toolchain's embedded VCS stamp when -ldflags did not set them.
func Get() Info {
	info := Info{Version: Version, Commit: Commit, Date: Date}
	if info.Commit != "" {
		return info
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			case "vcs.modified":
				info.Dirty = s.Value == "true"
			}
		}
	}
	if info.Commit == "" {
		g := fromGit()
		info.Commit, info.Dirty = g.Commit, g.Dirty
		if info.Date == "" {
			info.Date = g.Date
		}
	}
	return info
}

// fromGit asks git, once, for the checkout's HEAD commit, its commit time
// and whether the tree has changes; all empty outside a checkout or
// without git.
var fromGit = sync.OnceValue(func() Info {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "log", "-1", "--format=%H %cI").Output()
	if err != nil {
		return Info{}
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		return Info{}
	}
	g := Info{Commit: f[0]}
	if t, err := time.Parse(time.RFC3339, f[1]); err == nil {
		g.Date = t.UTC().Format(time.RFC3339)
	}
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
		g.Dirty = len(strings.TrimSpace(string(st))) > 0
	}
	return g
})

// String formats the build information for --version output.
func (i Info) String() string {
	commit := i.Commit
	if commit == "" {
		commit = "unknown"
	}
	date := i.Date
	if date == "" {
		date = "unknown"
	}
	if i.Dirty {
		commit += ", with uncommitted changes"
	}
	return fmt.Sprintf("%s (commit %s, built %s)", i.Version, commit, date)
}
