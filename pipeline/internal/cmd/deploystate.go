package cmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/pipeline/deploy"
	"github.com/minitwit-cd/kit/pipeline/gitinfo"
	"github.com/minitwit-cd/kit/pipeline/record"
	"github.com/minitwit-cd/kit/pipeline/state"
)

// prepareDeploy connects pipeline deploy to the pipeline's state and the
// tracker: without --image the state's published minitwit (and its
// commit) is deployed, an environment must be one of
// pipeline/environments.json, and with TRACKER_HOST set the deploy is
// gated by the tracker's assert artifact and recorded as a deployment.
// Without a state file and with --image/--commit given, the command
// deploys what it is told (the state is then neither read nor written).
func prepareDeploy(ctx context.Context, f *Factory, o *DeployOptions) error {
	ro := f.root
	if ro == nil {
		ro = &RootOptions{}
	}
	// The flags' own mistakes first, as the command reports them.
	if _, err := o.target(); err != nil {
		return err
	}
	w, err := ro.open(ctx, f, f.IO.ErrOut)
	if err != nil {
		return err
	}
	if o.Env != "" {
		envs, err := state.LoadEnvironments(w.dir)
		if err != nil {
			return usage(err)
		}
		if _, err := envs.Get(o.Env); err != nil {
			return usage(err)
		}
	}
	var s *state.State
	if o.Image == "" {
		if s, err = w.load(); err == nil {
			o.Image, err = s.RequirePublished("minitwit")
		}
		if err != nil {
			return cli.Usagef("--image is required (NAME@sha256:…) when the pipeline state has no published image: %v", err)
		}
		if o.Commit == "" {
			o.Commit = s.Commit
		}
	} else if err := state.CheckDigestRef(o.Image); err != nil {
		return usage(fmt.Errorf("--image: %w", err))
	}
	if !w.rec.Enabled() {
		return nil
	}
	fp := fingerprintOf(o.Image)
	if err := w.rec.EnsureEnvironment(ctx, o.Env, ""); err != nil {
		return err
	}
	o.Gate = func(ctx context.Context, o *DeployOptions) error {
		return w.rec.Gate("minitwit", o.Env, fp)(ctx)
	}
	o.Record = func(ctx context.Context, o *DeployOptions, res deploy.Result, derr error) error {
		status := string(res.Status)
		if status == "" {
			// Refused before anything changed (gate, lock, unreachable):
			// not a deployment.
			return nil
		}
		desc := fmt.Sprintf("%s, %d replica(s), %s colour", status, res.Replicas, res.Colour)
		if res.Forced {
			desc += ", forced past the gate (--force)"
		}
		n, err := w.rec.Deployment(ctx, record.Deployment{Flow: "minitwit", Fingerprint: fp, Env: o.Env, Status: status,
			Description: desc, BuildURL: gitinfo.FromEnv(f.IO.Env).BuildURL()})
		if err != nil {
			return err
		}
		fmt.Fprintf(f.IO.ErrOut, "deploy: recorded deployment #%d to %s (%s) in the tracker at %s\n", n, o.Env, status, w.rec.Where())
		if s != nil {
			if s.Deploys == nil {
				s.Deploys = map[string]state.Deploy{}
			}
			s.Deploys[o.Env] = state.Deploy{Ref: o.Image, Host: o.Host, Replicas: res.Replicas, Status: status, Deployment: n, At: time.Now().UTC()}
			s.AddRecord("deploy", fmt.Sprintf("deployment #%d to %s (%s)", n, o.Env, status), w.rec.Where(), time.Now())
			return w.save(s)
		}
		return nil
	}
	return nil
}

// fingerprintOf is the hex digest of a digest-pinned reference.
func fingerprintOf(ref string) string {
	_, d, _ := strings.Cut(ref, "@sha256:")
	return d
}
