// Package build compiles the kit's programs into static binaries the way
// the images need them (no libc in a FROM scratch image) and reproducibly:
// -trimpath, the version, commit and the commit's time stamped with
// -ldflags, no VCS stamp, so building the same commit twice gives the
// same bytes.
package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Program is one of the kit's programs.
type Program struct {
	// Name is the binary's name.
	Name string
	// Package is the main package, relative to the module root.
	Package string
	// Cgo is true for programs that link SQLite (mattn/go-sqlite3): they
	// are linked statically with the external linker.
	Cgo bool
}

// Programs are the kit's programs, in build order.
var Programs = []Program{
	{Name: "minitwit", Package: "./app", Cgo: true},
	{Name: "simulator", Package: "./simulator"},
	{Name: "tracker", Package: "./tracker", Cgo: true},
	{Name: "pipeline", Package: "./pipeline"},
}

// Lookup returns the program called name.
func Lookup(name string) (Program, error) {
	var names []string
	for _, p := range Programs {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return Program{}, fmt.Errorf("unknown program %q: want one of %s", name, strings.Join(names, ", "))
}

// BuildinfoPackage is the package whose variables -ldflags sets.
const BuildinfoPackage = "github.com/minitwit-cd/kit/internal/buildinfo"

// Stamp is what goes into a binary's buildinfo.
type Stamp struct {
	Version string
	Commit  string
	// Date is the commit's time, never the wall clock: it is what makes a
	// rebuild byte-identical.
	Date time.Time
}

// Result is one built binary.
type Result struct {
	Program Program
	Path    string
	SHA256  string
	Size    int64
}

// Options configure Build.
type Options struct {
	// Root is the module root (the checkout).
	Root string
	// Out is the directory the binaries are written to.
	Out string
	// Stamp is stamped into every binary.
	Stamp Stamp
	// Programs to build (default: Programs).
	Programs []Program
	// Env is extra environment for the go command (GOCACHE …); the
	// process's environment is inherited.
	Env []string
	// Progress, when set, is called before each program is built.
	Progress func(p Program)
}

// Tags are the build tags of the static cgo build.
const Tags = "netgo osusergo sqlite_omit_load_extension"

// Args returns the `go build` arguments for p (after "go").
func Args(p Program, s Stamp, out string) []string {
	ld := []string{"-s", "-w", "-buildid="}
	if p.Cgo {
		ld = append(ld, "-linkmode", "external", "-extldflags", "-static")
	}
	ld = append(ld,
		"-X", BuildinfoPackage+".Version="+s.Version,
		"-X", BuildinfoPackage+".Commit="+s.Commit,
		"-X", BuildinfoPackage+".Date="+s.Date.UTC().Format(time.RFC3339),
	)
	return []string{"build", "-trimpath", "-buildvcs=false", "-tags", Tags,
		"-ldflags", quoteLD(ld), "-o", out, p.Package}
}

// quoteLD joins -ldflags arguments, quoting the ones with spaces the way
// the go command splits them.
func quoteLD(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t'\"") {
			a = "'" + a + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

// Build builds the programs and returns them in order.
func Build(ctx context.Context, o Options) ([]Result, error) {
	progs := o.Programs
	if len(progs) == 0 {
		progs = Programs
	}
	if o.Stamp.Commit == "" || o.Stamp.Date.IsZero() {
		return nil, fmt.Errorf("build: the stamp needs a commit and its date")
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	var out []Result
	for _, p := range progs {
		if o.Progress != nil {
			o.Progress(p)
		}
		path, err := filepath.Abs(filepath.Join(o.Out, p.Name))
		if err != nil {
			return nil, fmt.Errorf("build %s: %w", p.Name, err)
		}
		cmd := exec.CommandContext(ctx, "go", Args(p, o.Stamp, path)...)
		cmd.Dir = o.Root
		cgo := "CGO_ENABLED=0"
		if p.Cgo {
			cgo = "CGO_ENABLED=1"
		}
		cmd.Env = append(append(os.Environ(), o.Env...), cgo)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		cmd.Stdout = &stderr
		if err := cmd.Run(); err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("build %s: %w", p.Name, ctx.Err())
			}
			return nil, fmt.Errorf("build %s: %w: %s", p.Name, err, strings.TrimSpace(stderr.String()))
		}
		sum, size, err := Sum(path)
		if err != nil {
			return nil, fmt.Errorf("build %s: %w", p.Name, err)
		}
		out = append(out, Result{Program: p, Path: path, SHA256: sum, Size: size})
	}
	return out, nil
}

// Sum returns a file's sha256 (hex) and size.
func Sum(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
