// Package cmd is the pipeline's command line: one cobra command per file,
// each an options struct, a NewCmdX(f, runF) constructor that only parses
// flags and an unexported run function that does the work. Every command
// stands on the kit's CLI foundation (internal/cli): its streams, its
// env-backed flags (PIPELINE_<FLAG>) and its exit codes.
//
// The steps (build, test, image, publish, smoke) share the state file
// (pipeline/state): each reads the previous step's outputs from it and
// writes its own, so each runs alone; run runs them in order.
package cmd

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/internal/repo"
	"github.com/minitwit-cd/kit/pipeline/gitinfo"
	"github.com/minitwit-cd/kit/pipeline/record"
	"github.com/minitwit-cd/kit/pipeline/state"
)

// EnvPrefix prefixes the environment equivalents of the flags:
// --state is PIPELINE_STATE.
const EnvPrefix = "PIPELINE_"

// DefaultSource is the repository URL recorded when not in GitHub Actions.
const DefaultSource = "https://github.com/minitwit-cd/kit"

// Factory holds what commands need from the outside world; tests replace
// any of it.
type Factory struct {
	IO *cli.IOStreams
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// root holds the shared flags (--dir, --state) once NewCmdRoot made them.
	root *RootOptions
}

func (f *Factory) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// Program is the pipeline's command line for cli.Main and cli.Run.
func Program() cli.Program {
	return cli.Program{Name: "pipeline", EnvPrefix: EnvPrefix, Root: func(io *cli.IOStreams) *cobra.Command {
		return NewCmdRoot(&Factory{IO: io})
	}}
}

// RootOptions are the flags every step shares.
type RootOptions struct {
	// Dir is the checkout the pipeline works on (default: the module root
	// at or above the working directory).
	Dir string
	// State is the state file (default DIR/.pipeline/state.json).
	State string
}

// NewCmdRoot builds the whole command tree.
func NewCmdRoot(f *Factory) *cobra.Command {
	ro := &RootOptions{}
	f.root = ro
	root := &cobra.Command{
		Use:   "pipeline",
		Short: "Build, test, image, publish and deploy the kit, every step recorded in the tracker",
		Long: `pipeline is the kit's CI/CD pipeline as Go code. Each step is a subcommand
that runs alone and reads the previous step's outputs from the state file
(.pipeline/state.json):

  pipeline build                  static, reproducible binaries of the kit's programs
  pipeline test [PKG...]          go test -json -> JUnit XML + coverage, attested
  pipeline image                  FROM scratch images (OCI layouts), same commit, same digest
  pipeline publish --registry H   push; the registry's digest is the artifact's fingerprint
  pipeline smoke --target URL     the simulator over a prefix of the scenario, attested
  pipeline run                    the steps in order
  pipeline demo                   the whole story on one machine

Every step records what it did in the tracker when TRACKER_HOST (with
TRACKER_ORG and TRACKER_API_TOKEN) is set, and says so when it is not.`,
	}
	root.PersistentFlags().StringVar(&ro.Dir, "dir", "", "the checkout to work on (default: the module root above the working directory)")
	root.PersistentFlags().StringVar(&ro.State, "state", "", "the state file (default DIR/"+state.DefaultPath+")")
	root.AddCommand(
		NewCmdBuild(f, ro, nil),
		NewCmdTest(f, ro, nil),
		NewCmdImage(f, ro, nil),
		NewCmdPublish(f, ro, nil),
		NewCmdSmoke(f, ro, nil),
		NewCmdRun(f, ro, nil),
		NewCmdDemo(f, ro, nil),
		NewCmdDeploy(f, nil),
		NewCmdRollback(f, nil),
		NewCmdScale(f, nil),
		NewCmdRelease(f, nil),
	)
	return root
}

// workspace is what a step works with: the checkout, its HEAD, the state
// file and the recorder.
type workspace struct {
	f         *Factory
	dir       string
	statePath string
	head      gitinfo.Info
	rec       *record.Recorder
	// out is where the step writes its lines.
	out io.Writer
}

// open resolves the checkout and its HEAD and the tracker configuration,
// and checks the tracker answers when one is configured.
func (ro *RootOptions) open(ctx context.Context, f *Factory, out io.Writer) (*workspace, error) {
	dir := ro.Dir
	if dir == "" {
		r, err := repo.Root()
		if err != nil {
			return nil, cli.Usagef("%v (or give --dir)", err)
		}
		dir = r
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	head, err := gitinfo.Head(ctx, dir)
	if err != nil {
		return nil, err
	}
	sp := ro.State
	if sp == "" {
		sp = filepath.Join(dir, state.DefaultPath)
	}
	rec, err := record.New(record.ConfigFromEnv(f.IO.Env))
	if err != nil {
		return nil, cli.Usagef("%v", err)
	}
	if err := rec.Check(ctx); err != nil {
		return nil, &cli.ExitError{Code: cli.ExitUnreachable, Err: err}
	}
	return &workspace{f: f, dir: dir, statePath: sp, head: head, rec: rec, out: out}, nil
}

// workDir is DIR/.pipeline/SUB, where steps put their files.
func (w *workspace) workDir(sub string) string {
	return filepath.Join(filepath.Dir(w.statePath), sub)
}

// load reads the state and checks it belongs to HEAD.
func (w *workspace) load() (*state.State, error) {
	s, err := state.Load(w.statePath)
	if err != nil {
		return nil, err
	}
	if err := s.ForCommit(w.head.Commit); err != nil {
		return nil, err
	}
	return s, nil
}

func (w *workspace) save(s *state.State) error { return s.Save(w.statePath) }

// trail is the commit's trail in the tracker.
func (w *workspace) trail() record.Trail {
	ci := gitinfo.FromEnv(w.f.IO.Env)
	return record.Trail{Name: w.head.Short(), Commit: w.head.Commit, Subject: w.head.Subject, Author: w.head.Author,
		Branch: w.head.Branch, CommitURL: ci.CommitURL(DefaultSource, w.head.Commit), At: w.head.Time}
}

// recorded notes what the step sent to the tracker, or says that nothing
// was sent, in the state and on the step's output.
func (w *workspace) recorded(s *state.State, step string, what ...string) {
	for _, x := range what {
		s.AddRecord(step, x, w.rec.Where(), w.f.now())
	}
	if !w.rec.Enabled() {
		fmt.Fprintf(w.out, "%s: nothing recorded in the tracker (TRACKER_HOST is not set)\n", step)
		return
	}
	for _, x := range what {
		fmt.Fprintf(w.out, "%s: recorded %s in the tracker at %s\n", step, x, w.rec.Where())
	}
}
