package reporter_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/tracker/fingerprint"
	"github.com/minitwit-cd/kit/tracker/reporter"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPathsFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "bin", "minitwit"), "binary")
	writeFile(t, filepath.Join(dir, "static", "file.extra"), "this is known extra content")
	writeFile(t, filepath.Join(dir, "static", "app.js.map"), "noise")
	mtime := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "bin", "minitwit"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	pf := filepath.Join(dir, "paths.yml")
	writeFile(t, pf, `version: 1
artifacts:
  minitwit:
    path: bin/minitwit
  static:
    path: static
    exclude: ["*.map"]
`)
	specs, err := reporter.LoadPathsFile(pf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := (&reporter.Paths{Specs: specs}).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	binFP, _ := fingerprint.File(filepath.Join(dir, "bin", "minitwit"))
	want := []reporter.Instance{
		{Name: "minitwit", Fingerprint: binFP, Started: mtime},
		{Name: "static", Fingerprint: "c71f5baef8cce289c9b7c971cf219e21b787a025af68ad6539b82634fe62819e"},
	}
	if len(got) != 2 {
		t.Fatalf("got %d instances, want 2: %+v", len(got), got)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Fingerprint != want[i].Fingerprint {
			t.Errorf("instance %d = %s %s, want %s %s", i, got[i].Name, got[i].Fingerprint, want[i].Name, want[i].Fingerprint)
		}
	}
	if !got[0].Started.Equal(mtime) {
		t.Errorf("started = %v, want the file's mtime %v", got[0].Started, mtime)
	}
}

func TestPathsFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, want string
	}{
		{"not yaml", "version: [1", "paths file"},
		{"wrong version", "version: 2\nartifacts:\n  a:\n    path: x\n", "version must be 1"},
		{"no artifacts", "version: 1\n", "no artifacts"},
		{"no path", "version: 1\nartifacts:\n  a: {}\n", `artifact "a" has no path`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".yml")
			writeFile(t, p, tt.content)
			_, err := reporter.LoadPathsFile(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	if _, err := reporter.LoadPathsFile(filepath.Join(dir, "missing.yml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
	specs := []reporter.PathSpec{{Name: "gone", Path: filepath.Join(dir, "gone")}}
	if _, err := (&reporter.Paths{Specs: specs}).Collect(context.Background()); err == nil || !strings.Contains(err.Error(), "artifact gone") {
		t.Errorf("missing path: err = %v, want it to name the artifact", err)
	}
}

func TestServerGlobs(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.bin"), "a")
	writeFile(t, filepath.Join(dir, "b.bin"), "b")
	writeFile(t, filepath.Join(dir, "site", "file.extra"), "this is known extra content")
	s := &reporter.Server{Globs: []string{filepath.Join(dir, "*.bin"), filepath.Join(dir, "site"), filepath.Join(dir, "a.bin")}}
	got, err := s.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, in := range got {
		names = append(names, in.Name)
	}
	if strings.Join(names, ",") != "a.bin,b.bin,site" {
		t.Errorf("names = %v, want a.bin,b.bin,site (each match once)", names)
	}
	if got[2].Fingerprint != "c71f5baef8cce289c9b7c971cf219e21b787a025af68ad6539b82634fe62819e" {
		t.Errorf("site fingerprint = %s", got[2].Fingerprint)
	}
	_, err = (&reporter.Server{Globs: []string{filepath.Join(dir, "*.nothing")}}).Collect(context.Background())
	if !errors.Is(err, reporter.ErrNoMatch) {
		t.Errorf("no match: err = %v, want ErrNoMatch", err)
	}
}

func TestSummarize(t *testing.T) {
	in := []reporter.Instance{
		{Name: "b", Fingerprint: "2"}, {Name: "a", Fingerprint: "1"}, {Name: "b", Fingerprint: "2"}, {Name: "b", Fingerprint: "3"},
	}
	got := reporter.Summarize(in)
	want := []reporter.Group{{"a", "1", 1}, {"b", "2", 2}, {"b", "3", 1}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("group %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
