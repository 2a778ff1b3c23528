package build_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/repo"
	"github.com/minitwit-cd/kit/pipeline/build"
)

// TestReproducible builds minitwit (cgo, static) twice into different
// directories: the same stamp gives the same bytes, and the binary is
// static and reports the stamp.
func TestReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds minitwit twice")
	}
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	p, err := build.Lookup("minitwit")
	if err != nil {
		t.Fatal(err)
	}
	stamp := build.Stamp{Version: "v9.9.9-test", Commit: "0123456789abcdef0123456789abcdef01234567", Date: time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)}
	ctx := context.Background()
	var sums []string
	var path string
	for _, dir := range []string{t.TempDir(), t.TempDir()} {
		res, err := build.Build(ctx, build.Options{Root: root, Out: filepath.Join(dir, "bin"), Stamp: stamp, Programs: []build.Program{p}})
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, res[0].SHA256)
		path = res[0].Path
	}
	if sums[0] != sums[1] {
		t.Fatalf("same commit, two builds: sha256 %s and %s", sums[0], sums[1])
	}
	out, err := exec.Command(path, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v: %s", path, err, out)
	}
	for _, want := range []string{"v9.9.9-test", "0123456789ab", "2026-11-02"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("--version says %q, want %q in it", out, want)
		}
	}
	if f, err := exec.Command("file", path).Output(); err == nil && !strings.Contains(string(f), "statically linked") {
		t.Errorf("not static: %s", f)
	}
	ldd, _ := exec.Command("ldd", path).CombinedOutput()
	if !strings.Contains(string(ldd), "not a dynamic executable") && !strings.Contains(string(ldd), "statically linked") {
		t.Errorf("ldd %s: %s", path, ldd)
	}
}

func TestLookup(t *testing.T) {
	if _, err := build.Lookup("nope"); err == nil || !strings.Contains(err.Error(), "minitwit, simulator, tracker, pipeline") {
		t.Errorf("unknown program: %v", err)
	}
}

func TestArgs(t *testing.T) {
	p, _ := build.Lookup("minitwit")
	args := strings.Join(build.Args(p, build.Stamp{Version: "v", Commit: "c", Date: time.Unix(0, 0)}, "/o"), " ")
	for _, want := range []string{"-trimpath", "-buildvcs=false", "-linkmode external", "-extldflags -static", "buildinfo.Date=1970-01-01T00:00:00Z"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
}
