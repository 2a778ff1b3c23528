package cmd

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/pipeline/deploy"
)

// TargetOptions are the flags of every command that talks to a VM:
// deploy, rollback and scale.
type TargetOptions struct {
	Env        string
	Host       string
	KnownHosts string
	Key        string
	Owner      string
	LockTTL    time.Duration
	Timeout    time.Duration
}

func (t *TargetOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&t.Env, "env", "", "the environment (e.g. prod, beta; required)")
	fs.StringVar(&t.Host, "host", "", "the VM as USER@HOST[:PORT] (required)")
	fs.StringVar(&t.KnownHosts, "known-hosts", "", "known_hosts file pinning the VM's host key (required; host keys are always checked)")
	fs.StringVar(&t.Key, "key", "", "the deploy key, a private key file (default ~/.ssh/id_ed25519)")
	fs.StringVar(&t.Owner, "owner", "", "who deploys, written in the VM's deploy lock (default USER@HOSTNAME)")
	fs.DurationVar(&t.LockTTL, "lock-ttl", 10*time.Minute, "how long the deploy lock holds before another deploy may take it over")
	fs.DurationVar(&t.Timeout, "timeout", 10*time.Minute, "give up after this long")
}

var envName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// target checks the flags and loads the key: usage errors for what the
// caller got wrong.
func (t *TargetOptions) target() (deploy.Target, error) {
	if t.Env == "" {
		return deploy.Target{}, cli.Usagef("--env is required")
	}
	if !envName.MatchString(t.Env) {
		return deploy.Target{}, cli.Usagef("--env %q: want lower-case letters, digits and dashes", t.Env)
	}
	if t.Host == "" {
		return deploy.Target{}, cli.Usagef("--host is required (USER@HOST[:PORT])")
	}
	u, addr, err := deploy.ParseHost(t.Host)
	if err != nil {
		return deploy.Target{}, cli.Usagef("--host: %v", err)
	}
	if t.KnownHosts == "" {
		return deploy.Target{}, cli.Usagef("--known-hosts is required: host keys are always checked (ssh-keyscan the VM once, verify the fingerprint, keep the file)")
	}
	if _, err := os.Stat(t.KnownHosts); err != nil {
		return deploy.Target{}, cli.Usagef("--known-hosts: %v", err)
	}
	key := t.Key
	if key == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return deploy.Target{}, cli.Usagef("--key: %v", err)
		}
		key = filepath.Join(home, ".ssh", "id_ed25519")
	}
	signer, err := deploy.LoadKey(key)
	if err != nil {
		return deploy.Target{}, cli.Usagef("--key: %v", err)
	}
	return deploy.Target{User: u, Addr: addr, KnownHosts: t.KnownHosts, Signer: signer}, nil
}

func (t *TargetOptions) options(f *Factory) deploy.Options {
	owner := t.Owner
	if owner == "" {
		owner = defaultOwner()
	}
	return deploy.Options{Env: t.Env, Owner: owner, LockTTL: t.LockTTL, Progress: deploy.Lines(f.IO.ErrOut)}
}

func defaultOwner() string {
	name := "pipeline"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	if host == "" {
		return name
	}
	return name + "@" + host
}

// DeployOptions are the options of pipeline deploy.
type DeployOptions struct {
	f *Factory
	TargetOptions
	// Image is the image to deploy, pinned by digest.
	Image string
	// Commit is the commit it was built from (its /version must say so).
	Commit        string
	Replicas      int
	Force         bool
	Soak          time.Duration
	HealthTimeout time.Duration
	// AppEnv is MiniTwit's environment on the VM (--app-env KEY=VALUE).
	AppEnv map[string]string

	// Gate, when set, is the tracker's `assert artifact` for the
	// environment, run after the lock is taken and before anything on the
	// VM changes; with Force its refusal is reported and overridden.
	Gate func(ctx context.Context, o *DeployOptions) error
	// Record, when set, records the outcome in the tracker (the Result
	// carries status, colour, digest, commit, replicas, forced, timings).
	Record func(ctx context.Context, o *DeployOptions, res deploy.Result, deployErr error) error
}

// NewCmdDeploy is `pipeline deploy`.
func NewCmdDeploy(f *Factory, runF func(*DeployOptions) error) *cobra.Command {
	opts := &DeployOptions{f: f}
	cmd := &cobra.Command{
		Use:   "deploy --env NAME --host USER@HOST[:PORT] --known-hosts FILE --image NAME@sha256:... --commit SHA",
		Short: "Deploy an image blue-green to a VM over SSH",
		Long: `Deploy an image, pinned by digest, to the VM of an environment: blue-green
behind nginx. The new colour starts beside the old one on the shared
database volume; once its /healthz answers and its /version reports the
commit, nginx switches to it; after a soak window the old colour stops.
Not healthy in time: the new colour is removed and the old one keeps
serving (failed). Failing during the soak: switched back (rolled_back).

The VM's host key must be in --known-hosts; a deploy lock on the VM keeps
two deploys apart.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runDeploy(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	opts.addFlags(fs)
	fs.StringVar(&opts.Image, "image", "", "the image, pinned by digest: NAME@sha256:<64 hex> (required)")
	fs.StringVar(&opts.Commit, "commit", "", "the commit the image was built from (required)")
	fs.IntVar(&opts.Replicas, "replicas", 1, "containers of the new colour behind nginx")
	fs.BoolVar(&opts.Force, "force", false, "deploy even when the gate refuses; recorded")
	fs.DurationVar(&opts.Soak, "soak", 10*time.Second, "how long to watch the new colour before stopping the old")
	fs.DurationVar(&opts.HealthTimeout, "health-timeout", 60*time.Second, "how long the new colour may take to get healthy")
	fs.StringToStringVar(&opts.AppEnv, "app-env", nil, "MiniTwit's environment on the VM, KEY=VALUE (repeatable)")
	return cmd
}

func runDeploy(ctx context.Context, o *DeployOptions) error {
	t, err := o.target()
	if err != nil {
		return err
	}
	if o.Image == "" {
		return cli.Usagef("--image is required (NAME@sha256:…)")
	}
	if _, err := deploy.Digest(o.Image); err != nil {
		return cli.Usagef("--image: %v", err)
	}
	if o.Commit == "" {
		return cli.Usagef("--commit is required (the commit the image was built from)")
	}
	if o.Replicas < 1 || o.Replicas > 20 {
		return cli.Usagef("--replicas %d: want 1 to 20", o.Replicas)
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	req := deploy.Request{
		Options: o.options(o.f),
		Image:   o.Image, Commit: o.Commit, Replicas: o.Replicas, AppEnv: o.AppEnv, Forced: o.Force,
	}
	req.Soak, req.HealthTimeout = o.Soak, o.HealthTimeout
	if o.Gate != nil {
		req.Check = func(ctx context.Context) error {
			err := o.Gate(ctx, o)
			if err != nil && o.Force {
				fmt.Fprintf(o.f.IO.ErrOut, "deploy: WARNING: the gate refused (%s); deploying anyway (--force)\n", cli.OneLine(err.Error()))
				return nil
			}
			return err
		}
	}
	res, derr := deploy.Deploy(ctx, t, req)
	printResult(o.f, "deploy", res)
	if o.Record != nil {
		if err := o.Record(ctx, o, res, derr); err != nil {
			if derr != nil {
				return fmt.Errorf("%w (and recording it failed: %w)", derr, err)
			}
			return fmt.Errorf("deploy %s succeeded but recording it failed: %w", o.Env, err)
		}
	} else {
		fmt.Fprintln(o.f.IO.ErrOut, "deploy: no tracker: nothing recorded")
	}
	return derr
}

// printResult writes an operation's outcome as one line on stdout.
func printResult(f *Factory, verb string, res deploy.Result) {
	forced := ""
	if res.Forced {
		forced = ", forced"
	}
	fmt.Fprintf(f.IO.Out, "%s %s: %s: %s %s (%s), %d replica(s)%s; serving after %s, total %s\n",
		verb, res.Env, res.Status, res.Colour, shortCommit(res.Commit), res.Digest, res.Replicas, forced,
		res.Timings.Serving.Round(10*time.Millisecond), res.Timings.Total.Round(10*time.Millisecond))
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}
