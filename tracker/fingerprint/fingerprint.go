// Package fingerprint computes the SHA-256 fingerprints the tracker
// identifies artifacts by: a file's content, a directory tree (Kosli's
// algorithm, so both tools agree on the same bytes) and a Docker image's
// repository digest.
package fingerprint

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrBadPattern is returned when an exclusion glob cannot be parsed.
var ErrBadPattern = errors.New("bad exclude pattern")

// Path fingerprints a file or a directory: a file by its content, a
// directory with Dir. A symbolic link given as path is followed.
func Path(path string, excludes []string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("fingerprint %s: %w", path, err)
	}
	if info.IsDir() {
		return Dir(path, excludes)
	}
	return File(path)
}

// File returns the lower-case hex SHA-256 of a file's content.
func File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("fingerprint file: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("fingerprint file %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Dir fingerprints a directory tree. It walks depth-first in byte-wise
// sorted order, skipping the root; for every entry it appends the hex
// SHA-256 of the base name, then for a file (or a link to a file) the hex
// SHA-256 of the content, for a link to a directory the hex SHA-256 of the
// link's target text (the link is not followed), for a directory nothing.
// The result is the hex SHA-256 of the concatenation, so an empty directory
// gives the SHA-256 of "". Excludes are globs matched against the path
// relative to root (and against the base name); a match drops the entry and
// its subtree.
func Dir(root string, excludes []string) (string, error) {
	return DirProgress(root, excludes, nil)
}

// DirProgress is Dir calling progress (when not nil) after each file it
// hashed, so a terminal can show that a large tree is being read.
func DirProgress(root string, excludes []string, progress func()) (string, error) {
	for _, p := range excludes {
		if _, err := filepath.Match(p, ""); err != nil {
			return "", fmt.Errorf("%w %q: %w", ErrBadPattern, p, err)
		}
	}
	info, err := os.Stat(root)
	if err != nil {
		return "", fmt.Errorf("fingerprint dir: %w", err)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("fingerprint dir %s: not a directory", root)
	}
	var sb strings.Builder
	w := walker{excludes: excludes, sb: &sb, progress: progress}
	if err := w.walk(root, ""); err != nil {
		return "", err
	}
	return hashString(sb.String()), nil
}

type walker struct {
	excludes []string
	sb       *strings.Builder
	progress func()
}

func (w walker) file(path string) error {
	d, err := File(path)
	if err != nil {
		return err
	}
	w.sb.WriteString(d)
	if w.progress != nil {
		w.progress()
	}
	return nil
}

// walk appends the digests of dir's entries (rel is dir relative to the
// root). It reads and sorts each directory itself rather than using
// filepath.WalkDir so the link handling stays explicit.
func (w walker) walk(dir, rel string) error {
	excludes, sb := w.excludes, w.sb
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("fingerprint dir: %w", err)
	}
	names := make([]string, 0, len(entries))
	types := make(map[string]fs.FileMode, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
		types[e.Name()] = e.Type()
	}
	// Go compares strings byte-wise, which is the order the spec requires.
	sort.Strings(names)
	for _, name := range names {
		full := filepath.Join(dir, name)
		relName := name
		if rel != "" {
			relName = rel + "/" + name
		}
		if excluded(relName, name, excludes) {
			continue
		}
		sb.WriteString(hashString(name))
		mode := types[name]
		switch {
		case mode&fs.ModeSymlink != 0:
			target, err := os.Stat(full)
			if err != nil {
				return fmt.Errorf("fingerprint dir: broken link %s: %w", full, err)
			}
			if target.IsDir() {
				text, err := os.Readlink(full)
				if err != nil {
					return fmt.Errorf("fingerprint dir: %w", err)
				}
				sb.WriteString(hashString(text))
				continue
			}
			if err := w.file(full); err != nil {
				return err
			}
		case mode.IsDir():
			if err := w.walk(full, relName); err != nil {
				return err
			}
		default:
			if err := w.file(full); err != nil {
				return err
			}
		}
	}
	return nil
}

func excluded(rel, base string, patterns []string) bool {
	for _, p := range patterns {
		p = strings.TrimSuffix(strings.TrimPrefix(p, "./"), "/")
		if ok, _ := filepath.Match(p, rel); ok {
			return true
		}
		if ok, _ := filepath.Match(p, base); ok {
			return true
		}
	}
	return false
}

func hashString(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
