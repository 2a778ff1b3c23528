package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
	"testing"
)

// built caches KitBinary's builds for the life of the test binary, all in
// binDir.
var (
	built   sync.Map // package path -> *build
	binOnce sync.Once
	binDir  string
	binErr  error
)

type build struct {
	once sync.Once
	path string
	err  error
}

// KitBinary builds one of the kit's programs (pkg is its import path,
// "github.com/minitwit-cd/kit/simulator") with `go build`, once per test
// binary, and returns the executable's path: for tests that run the real
// program as its own process. A package's TestMain may call
// RemoveKitBinaries after m.Run.
func KitBinary(t testing.TB, pkg string) string {
	t.Helper()
	goBin := Binary(t, "go")
	v, _ := built.LoadOrStore(pkg, &build{})
	b := v.(*build)
	b.once.Do(func() {
		binOnce.Do(func() { binDir, binErr = os.MkdirTemp("", "kit-bin-") })
		if binErr != nil {
			b.err = binErr
			return
		}
		b.path = filepath.Join(binDir, path.Base(pkg))
		if out, err := exec.Command(goBin, "build", "-o", b.path, pkg).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// RemoveKitBinaries deletes what KitBinary built.
func RemoveKitBinaries() {
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
}
