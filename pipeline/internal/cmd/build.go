package cmd

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/pipeline/build"
	"github.com/minitwit-cd/kit/pipeline/state"
)

// BuildOptions are pipeline build's.
type BuildOptions struct {
	Root *RootOptions
	// Programs to build (default: all).
	Programs []string
}

// NewCmdBuild builds `pipeline build`.
func NewCmdBuild(f *Factory, ro *RootOptions, runF func(context.Context, *BuildOptions) error) *cobra.Command {
	o := &BuildOptions{Root: ro}
	c := &cobra.Command{
		Use:   "build",
		Short: "Build static, reproducible binaries of the kit's programs",
		Long: `build compiles minitwit (./app), simulator, tracker and pipeline into
.pipeline/bin: static (cgo SQLite linked with -static), -trimpath, and the
version, commit and the commit's time stamped into internal/buildinfo with
-ldflags. No wall-clock time and no path goes in, so building the same
commit again gives the same bytes (the sha256 in the state file shows it).

It starts a new state file for HEAD: the later steps read it.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), o)
			}
			return runBuild(c.Context(), f, o, f.IO.Out)
		},
	}
	c.Flags().StringSliceVar(&o.Programs, "program", nil, "build only these programs (minitwit, simulator, tracker, pipeline)")
	return c
}

func runBuild(ctx context.Context, f *Factory, o *BuildOptions, out io.Writer) error {
	progs := []build.Program{}
	for _, n := range o.Programs {
		p, err := build.Lookup(n)
		if err != nil {
			return usage(err)
		}
		progs = append(progs, p)
	}
	w, err := o.Root.open(ctx, f, out)
	if err != nil {
		return err
	}
	s := state.New(w.head.Commit, w.head.Version, w.head.Time, DefaultSource)
	if w.head.Dirty {
		fmt.Fprintf(out, "build: WARNING: the work tree has uncommitted changes; the binaries are stamped %s\n", w.head.Version)
	}
	start := time.Now()
	res, err := build.Build(ctx, build.Options{
		Root: w.dir, Out: w.workDir("bin"), Programs: progs,
		Stamp:    build.Stamp{Version: w.head.Version, Commit: w.head.Commit, Date: w.head.Time},
		Progress: func(p build.Program) { fmt.Fprintf(out, "build: %s (%s)\n", p.Name, p.Package) },
	})
	if err != nil {
		return err
	}
	s.Build = &state.Build{Dir: w.workDir("bin"), Binaries: map[string]state.Binary{}, Seconds: time.Since(start).Seconds()}
	for _, r := range res {
		s.Build.Binaries[r.Program.Name] = state.Binary{Path: r.Path, SHA256: r.SHA256, Size: r.Size}
		fmt.Fprintf(out, "build: %-9s %6.1f MB  sha256:%s\n", r.Program.Name, float64(r.Size)/1e6, r.SHA256[:16])
	}
	if err := w.rec.BeginTrail(ctx, w.trail()); err != nil {
		return err
	}
	w.recorded(s, "build", "trail "+w.head.Short())
	fmt.Fprintf(out, "build: %d binaries of %s (%s) in %.1fs\n", len(res), w.head.Short(), w.head.Version, s.Build.Seconds)
	return w.save(s)
}
