// Package repo finds the kit's checkout and the course data kept beside
// it, for tests and for the bench commands that run from anywhere inside
// the repository.
package repo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Root returns the module root: the nearest directory at or above the
// working directory that holds go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repository root: no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// CourseScenario returns the path of the course's recorded scenario,
// ../shared/data/minitwit_scenario.tsv beside the repository (it is data
// for tests and benchmarks and is never copied into the repository), or an
// error naming the path when it is not there.
func CourseScenario() (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "..", "shared", "data", "minitwit_scenario.tsv")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("course scenario: %w", err)
	}
	return p, nil
}
