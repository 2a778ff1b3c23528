// Package buildinfo holds the version, commit and build date of the kit's
// binaries. The values are set at link time:
//
//	go build -ldflags "-X github.com/minitwit-cd/kit/internal/buildinfo.Version=v1.2.3 \
//	  -X github.com/minitwit-cd/kit/internal/buildinfo.Commit=$(git rev-parse HEAD) \
//	  -X github.com/minitwit-cd/kit/internal/buildinfo.Date=$(date -u +%FT%TZ)"
//
// When they are not set (go run, go test), Commit falls back to the VCS
// revision the Go toolchain embedded, if any.
package buildinfo

import (
	"fmt"
	"runtime/debug"
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
			}
		}
	}
	return info
}

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
	return fmt.Sprintf("%s (commit %s, built %s)", i.Version, commit, date)
}
