// Package reporter collects what is running in an environment, one
// Instance per running copy of an artifact: containers through the Docker
// Engine API, or files and directories on a host fingerprinted with the
// spec's algorithm. It only collects; sending the report is the caller's
// job (tracker/client), so the same collection serves --dry-run and tests.
package reporter

import (
	"context"
	"sort"
	"time"
)

// Instance is one running copy of an artifact.
type Instance struct {
	// Name is the artifact's name: an image reference or a file name.
	Name string
	// Fingerprint is the lower-case hex SHA-256 that identifies it.
	Fingerprint string
	// Started is when this copy was created (container creation time or
	// the file's modification time).
	Started time.Time
}

// Collector lists the instances running in one environment.
type Collector interface {
	Collect(ctx context.Context) ([]Instance, error)
}

// Sort orders instances by name, fingerprint and start so reports and the
// lines printed for them are stable.
func Sort(in []Instance) {
	sort.Slice(in, func(i, j int) bool {
		a, b := in[i], in[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Fingerprint != b.Fingerprint {
			return a.Fingerprint < b.Fingerprint
		}
		return a.Started.Before(b.Started)
	})
}

// Group is the instances of one fingerprint, for printing a summary.
type Group struct {
	Name        string
	Fingerprint string
	Replicas    int
}

// Summarize groups instances by fingerprint, in a stable order.
func Summarize(in []Instance) []Group {
	idx := map[string]int{}
	var out []Group
	for _, i := range in {
		k := i.Fingerprint + "\x00" + i.Name
		if n, ok := idx[k]; ok {
			out[n].Replicas++
			continue
		}
		idx[k] = len(out)
		out = append(out, Group{Name: i.Name, Fingerprint: i.Fingerprint, Replicas: 1})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Fingerprint < out[j].Fingerprint
	})
	return out
}
