package reporter

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/minitwit-cd/kit/tracker/fingerprint"
	"go.yaml.in/yaml/v3"
)

// ErrNoMatch is returned when a glob of the server reporter matches
// nothing: reporting an empty environment by mistake would record every
// artifact as exited.
var ErrNoMatch = errors.New("no file or directory matches")

// PathSpec names one artifact on a host: its name, its file or directory
// and the globs to leave out of a directory's fingerprint.
type PathSpec struct {
	Name    string   `yaml:"-"`
	Path    string   `yaml:"path"`
	Exclude []string `yaml:"exclude"`
}

// PathsFile is the --paths-file format (YAML, so JSON works too), the same
// shape as Kosli's:
//
//	version: 1
//	artifacts:
//	  minitwit:
//	    path: /opt/minitwit/bin/minitwit
//	  static:
//	    path: /opt/minitwit/static
//	    exclude: ["*.map"]
type PathsFile struct {
	Version   int                 `yaml:"version"`
	Artifacts map[string]PathSpec `yaml:"artifacts"`
}

// LoadPathsFile reads and checks a paths file; relative paths in it are
// taken relative to the file's directory.
func LoadPathsFile(file string) ([]PathSpec, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("paths file: %w", err)
	}
	var pf PathsFile
	if err := yaml.Unmarshal(raw, &pf); err != nil {
		return nil, fmt.Errorf("paths file %s: %w", file, err)
	}
	if pf.Version != 1 {
		return nil, fmt.Errorf("paths file %s: version must be 1, got %d", file, pf.Version)
	}
	if len(pf.Artifacts) == 0 {
		return nil, fmt.Errorf("paths file %s: no artifacts", file)
	}
	specs := make([]PathSpec, 0, len(pf.Artifacts))
	for name, s := range pf.Artifacts {
		if s.Path == "" {
			return nil, fmt.Errorf("paths file %s: artifact %q has no path", file, name)
		}
		s.Name = name
		if !filepath.IsAbs(s.Path) {
			s.Path = filepath.Join(filepath.Dir(file), s.Path)
		}
		specs = append(specs, s)
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	return specs, nil
}

// Paths reports named files or directories (snapshot paths).
type Paths struct {
	Specs []PathSpec
}

// Collect fingerprints every spec; one instance each, started at the
// path's modification time.
func (p *Paths) Collect(ctx context.Context) ([]Instance, error) {
	out := make([]Instance, 0, len(p.Specs))
	for _, s := range p.Specs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		in, err := instance(s.Name, s.Path, s.Exclude)
		if err != nil {
			return nil, fmt.Errorf("artifact %s: %w", s.Name, err)
		}
		out = append(out, in)
	}
	Sort(out)
	return out, nil
}

// Server reports the files and directories matching globs (snapshot
// server): each match is one artifact named by its base name.
type Server struct {
	Globs   []string
	Exclude []string
}

// Collect expands the globs and fingerprints each match once.
func (s *Server) Collect(ctx context.Context) ([]Instance, error) {
	seen := map[string]bool{}
	var out []Instance
	for _, g := range s.Globs {
		matches, err := filepath.Glob(g)
		if err != nil {
			return nil, fmt.Errorf("glob %q: %w", g, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("%w %q", ErrNoMatch, g)
		}
		for _, m := range matches {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if seen[m] {
				continue
			}
			seen[m] = true
			in, err := instance(filepath.Base(m), m, s.Exclude)
			if err != nil {
				return nil, err
			}
			out = append(out, in)
		}
	}
	Sort(out)
	return out, nil
}

func instance(name, path string, exclude []string) (Instance, error) {
	info, err := os.Stat(path)
	if err != nil {
		return Instance{}, fmt.Errorf("stat: %w", err)
	}
	fp, err := fingerprint.Path(path, exclude)
	if err != nil {
		return Instance{}, err
	}
	return Instance{Name: name, Fingerprint: fp, Started: info.ModTime().Truncate(1e9)}, nil
}
