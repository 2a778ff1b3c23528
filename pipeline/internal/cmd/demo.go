package cmd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/minitwit-cd/kit/internal/cli"
	"github.com/minitwit-cd/kit/pipeline/deploy"
	"github.com/minitwit-cd/kit/pipeline/gitinfo"
	"github.com/minitwit-cd/kit/pipeline/image"
	"github.com/minitwit-cd/kit/pipeline/record"
	"github.com/minitwit-cd/kit/pipeline/state"
	"github.com/minitwit-cd/kit/pipeline/steplist"
	"github.com/minitwit-cd/kit/pipeline/vm"
)

// DemoOptions are pipeline demo's.
type DemoOptions struct {
	Root *RootOptions
	// Packages are the test step's package patterns (a small subset: the
	// whole suite is CI's job).
	Packages []string
	// SmokeLimit is the smoke run's number of actions.
	SmokeLimit int64
	// Soak is the deploys' soak window.
	Soak time.Duration
	// Timings prints the step table at the end.
	Timings bool
	// NoWait ends the demo (and removes everything) right after the story
	// instead of waiting for Ctrl-C; tests use it.
	NoWait bool
	// Story, when set, receives the story's identifiers (for tests).
	Story func(DemoStory)
}

// DemoStory is what a demo run produced, for tests to check against the
// tracker.
type DemoStory struct {
	TrackerURL, Org, Token string
	Commits                []string // the first and the second commit
	Fingerprints           []string // their minitwit artifacts' fingerprints
	// Overlap is the prod snapshot taken during the blue-green soak,
	// After the one after the old version stopped.
	Overlap, After int
	Timings        []steplist.Step
	ImageSize      int64
}

// NewCmdDemo builds `pipeline demo`.
func NewCmdDemo(f *Factory, ro *RootOptions, runF func(context.Context, *DemoOptions) error) *cobra.Command {
	o := &DemoOptions{Root: ro}
	c := &cobra.Command{
		Use:   "demo",
		Short: "The tutorial's whole story on one machine, offline, in one command",
		Long: `demo tells the tutorial's story on this machine, with nothing from the
network: it starts a registry (Debian's docker-registry), a tracker and two
VMs (beta and prod: Debian system containers provisioned by
vagrant/provision.sh, with sshd, nginx, Docker and the tracker's snapshot
timer); runs the pipeline for the current commit (build, test, image,
publish); deploys to beta through the tracker's gate, smokes it with the
simulator, and deploys to prod with 1 replica. Then, as the tutorial's
"prod should run three replicas" fix, it makes a second commit in a
temporary clone that sets prod's replicas to 3 (pipeline/environments.json),
runs the pipeline for it and deploys it blue-green to prod: one snapshot
shows both versions running, the next the old one gone.

It prints tracker get artifact, get snapshot and diff snapshots for the
story and the tracker page's URL, and stays up until Ctrl-C, which removes
everything it started. --timings prints how long each step took.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(c.Context(), o)
			}
			return runDemo(c.Context(), f, o)
		},
	}
	fl := c.Flags()
	fl.StringSliceVar(&o.Packages, "packages", []string{"./pipeline/state", "./pipeline/steplist", "./internal/buildinfo"}, "package patterns the demo's test step runs")
	fl.Int64Var(&o.SmokeLimit, "smoke-limit", 200, "actions the smoke run replays against beta")
	fl.DurationVar(&o.Soak, "soak", 3*time.Second, "the deploys' soak window")
	fl.BoolVar(&o.Timings, "timings", false, "print the step timings table at the end")
	fl.BoolVar(&o.NoWait, "no-wait", false, "remove everything right after the story instead of waiting for Ctrl-C")
	return c
}

// demoOrg is the tracker org the demo records to.
const demoOrg = "demo"

// demo is one run's state.
type demo struct {
	f      *Factory
	o      *DemoOptions
	out    io.Writer
	list   *steplist.List
	tmp    string
	env    map[string]string
	lab    *vm.Lab
	vms    map[string]*vm.VM
	signer ssh.Signer
	known  string
	// trackerURL is the tracker on the host's loopback.
	trackerURL string
	token      string
	tracker    string // its container
	trackerImg string // its image tag
	cleanups   []func()
	story      DemoStory
}

// factory is a Factory whose environment adds the demo's (TRACKER_* once
// the tracker is up) to the process's.
func (d *demo) factory() *Factory {
	io := *d.f.IO
	base := d.f.IO
	env := d.env
	io.Getenv = func(k string) (string, bool) {
		if v, ok := env[k]; ok {
			return v, v != ""
		}
		return base.LookupEnv(k)
	}
	return &Factory{IO: &io, Now: d.f.Now}
}

// step runs fn as one row of the step list.
func (d *demo) step(name string, fn func(out io.Writer) (string, error)) error {
	out, end := d.list.Begin(name)
	note, err := fn(out)
	end(note, err)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

var demoSteps = []string{"vm image", "lab", "build", "image", "tracker", "vms", "record", "test", "publish",
	"deploy beta", "smoke beta", "deploy prod", "commit 3x", "build 2", "test 2", "image 2", "publish 2", "deploy prod 2", "report"}

func runDemo(ctx context.Context, f *Factory, o *DemoOptions) (err error) {
	ro := o.Root
	if ro.Dir == "" {
		ws, err := ro.open(ctx, &Factory{IO: withoutTracker(f.IO)}, io.Discard)
		if err != nil {
			return err
		}
		ro = &RootOptions{Dir: ws.dir}
	}
	tmp, err := os.MkdirTemp("", "pipeline-demo-")
	if err != nil {
		return err
	}
	mode := steplist.ModeFor(f.IO.ErrTTY, f.IO.Env)
	w := f.IO.ErrOut
	if mode != steplist.TTY {
		w = f.IO.Out
	}
	d := &demo{f: f, o: o, out: f.IO.Out, tmp: tmp, vms: map[string]*vm.VM{},
		env: map[string]string{"TRACKER_HOST": "", "TRACKER_ORG": "", "TRACKER_API_TOKEN": ""}}
	d.list = steplist.New(w, mode, demoSteps)
	d.cleanups = append(d.cleanups, func() { os.RemoveAll(tmp) })
	defer func() {
		fmt.Fprintln(f.IO.ErrOut, "demo: removing everything it started")
		for i := len(d.cleanups) - 1; i >= 0; i-- {
			d.cleanups[i]()
		}
	}()
	first := &RootOptions{Dir: ro.Dir, State: filepath.Join(tmp, "state-1.json")}
	if err := d.story1(ctx, first); err != nil {
		return err
	}
	clone := filepath.Join(tmp, "clone")
	second := &RootOptions{Dir: clone, State: filepath.Join(tmp, "state-2.json")}
	if err := d.story2(ctx, first, second); err != nil {
		return err
	}
	if err := d.step("report", func(out io.Writer) (string, error) { return "", d.report(ctx, first, second) }); err != nil {
		return err
	}
	d.story.Timings = d.list.Steps()
	if o.Timings {
		d.printTimings()
	}
	if o.Story != nil {
		o.Story(d.story)
	}
	if o.NoWait {
		return nil
	}
	fmt.Fprintln(d.out, "demo: everything stays up; press Ctrl-C to remove it")
	<-ctx.Done()
	return nil
}

func withoutTracker(s *cli.IOStreams) *cli.IOStreams {
	c := *s
	c.Getenv = func(k string) (string, bool) {
		if strings.HasPrefix(k, "TRACKER_") {
			return "", false
		}
		return s.LookupEnv(k)
	}
	return &c
}

// story1 is the first commit's way to prod.
func (d *demo) story1(ctx context.Context, ro *RootOptions) error {
	var vmImage string
	if err := d.step("vm image", func(out io.Writer) (string, error) {
		img, err := vm.BuildImage(ctx, vm.ImageOptions{Progress: out, ProvisionScript: filepath.Join(ro.Dir, "vagrant", "provision.sh")})
		vmImage = img.Ref
		return img.Ref, err
	}); err != nil {
		return err
	}
	if err := d.step("lab", func(out io.Writer) (string, error) {
		lab, err := vm.NewLab(ctx, vm.LabOptions{Image: vmImage, Progress: out})
		if lab != nil {
			d.lab = lab
			d.cleanups = append(d.cleanups, func() { _ = lab.Close() })
		}
		if err != nil {
			return "", err
		}
		return "registry " + lab.Registry.HostAddr, nil
	}); err != nil {
		return err
	}
	// build and image run before the tracker exists (the tracker is one of
	// the images): the build's trail is recorded by the record step.
	if err := d.step("build", func(out io.Writer) (string, error) {
		return "", runBuild(ctx, d.factory(), &BuildOptions{Root: ro}, out)
	}); err != nil {
		return err
	}
	if err := d.step("image", func(out io.Writer) (string, error) {
		return "", runImage(ctx, d.factory(), &ImageOptions{Root: ro}, out)
	}); err != nil {
		return err
	}
	s, err := state.Load(ro.State)
	if err != nil {
		return err
	}
	d.story.Commits = append(d.story.Commits, s.Commit)
	d.story.ImageSize = s.Images["minitwit"].Size
	if err := d.step("tracker", func(out io.Writer) (string, error) { return d.startTracker(ctx, s, out) }); err != nil {
		return err
	}
	if err := d.step("vms", func(out io.Writer) (string, error) { return d.startVMs(ctx, s) }); err != nil {
		return err
	}
	if err := d.step("record", func(out io.Writer) (string, error) {
		return "", d.record(ctx, ro, out)
	}); err != nil {
		return err
	}
	if err := d.step("test", func(out io.Writer) (string, error) {
		return "", runTest(ctx, d.factory(), &TestOptions{Root: ro, Packages: d.o.Packages}, out)
	}); err != nil {
		return err
	}
	if err := d.step("publish", func(out io.Writer) (string, error) {
		return "", runPublish(ctx, d.factory(), &PublishOptions{Root: ro, Registry: d.lab.Registry.HostAddr, PullAs: d.lab.Registry.PullAddr}, out)
	}); err != nil {
		return err
	}
	if err := d.step("deploy beta", func(out io.Writer) (string, error) { return d.deploy(ctx, ro, "beta", out, nil) }); err != nil {
		return err
	}
	if err := d.step("smoke beta", func(out io.Writer) (string, error) {
		return "", runSmoke(ctx, d.factory(), &SmokeOptions{Root: ro, Target: d.vms["beta"].HTTPURL, Limit: d.o.SmokeLimit}, out)
	}); err != nil {
		return err
	}
	return d.step("deploy prod", func(out io.Writer) (string, error) { return d.deploy(ctx, ro, "prod", out, nil) })
}

// story2 is the "three replicas" fix: a second commit, its pipeline and a
// blue-green deploy to prod.
func (d *demo) story2(ctx context.Context, first, ro *RootOptions) error {
	if err := d.step("commit 3x", func(out io.Writer) (string, error) { return d.commitReplicas(ctx, first.Dir, ro.Dir, 3) }); err != nil {
		return err
	}
	if err := d.step("build 2", func(out io.Writer) (string, error) {
		return "", runBuild(ctx, d.factory(), &BuildOptions{Root: ro, Programs: []string{"minitwit", "tracker"}}, out)
	}); err != nil {
		return err
	}
	if err := d.step("test 2", func(out io.Writer) (string, error) {
		return "", runTest(ctx, d.factory(), &TestOptions{Root: ro, Packages: d.o.Packages}, out)
	}); err != nil {
		return err
	}
	if err := d.step("image 2", func(out io.Writer) (string, error) {
		return "", runImage(ctx, d.factory(), &ImageOptions{Root: ro}, out)
	}); err != nil {
		return err
	}
	if err := d.step("publish 2", func(out io.Writer) (string, error) {
		return "", runPublish(ctx, d.factory(), &PublishOptions{Root: ro, Registry: d.lab.Registry.HostAddr, PullAs: d.lab.Registry.PullAddr}, out)
	}); err != nil {
		return err
	}
	return d.step("deploy prod 2", func(out io.Writer) (string, error) {
		// The overlap: during the soak both colours run; the snapshot the
		// timer's unit takes then shows both versions.
		return d.deploy(ctx, ro, "prod", out, func() {
			if n, err := d.snapshot(ctx, "prod"); err == nil {
				d.story.Overlap = n
				fmt.Fprintf(out, "demo: snapshot prod#%d during the soak (both versions running)\n", n)
			} else {
				fmt.Fprintf(out, "demo: WARNING: snapshot during the soak: %v\n", err)
			}
		})
	})
}

// startTracker runs the tracker image just built as a container on the
// lab's network (alias tracker, so the VMs' snapshot timers reach it at
// http://tracker:8080) with its port on the host's loopback, and creates
// the demo's org.
func (d *demo) startTracker(ctx context.Context, s *state.State, out io.Writer) (string, error) {
	img, err := image.ReadLayout(s.Images["tracker"].Layout)
	if err != nil {
		return "", err
	}
	d.trackerImg = "minitwit-demo-tracker:" + s.Commit[:12]
	tag, err := name.NewTag(d.trackerImg)
	if err != nil {
		return "", err
	}
	tarPath := filepath.Join(d.tmp, "tracker.tar")
	if err := tarball.WriteToFile(tarPath, tag, img); err != nil {
		return "", err
	}
	if _, err := dockerCmd(ctx, "load", "-i", tarPath); err != nil {
		return "", err
	}
	d.cleanups = append(d.cleanups, func() { _, _ = dockerCmd(context.Background(), "rmi", d.trackerImg) })
	d.tracker = d.lab.Name + "-tracker"
	if _, err := dockerCmd(ctx, "run", "-d", "--name", d.tracker, "--network", d.lab.Network, "--network-alias", "tracker",
		"-p", "127.0.0.1::8080", d.trackerImg); err != nil {
		return "", err
	}
	d.cleanups = append(d.cleanups, func() { _, _ = dockerCmd(context.Background(), "rm", "-fv", d.tracker) })
	port, err := dockerCmd(ctx, "port", d.tracker, "8080/tcp")
	if err != nil {
		return "", err
	}
	d.trackerURL = "http://" + strings.TrimSpace(strings.Split(port, "\n")[0])
	if err := waitReady(ctx, d.trackerURL, 30*time.Second); err != nil {
		logs, _ := dockerCmd(context.Background(), "logs", d.tracker)
		return "", fmt.Errorf("%w; tracker log: %s", err, cli.OneLine(logs))
	}
	tok, err := dockerCmd(ctx, "exec", d.tracker, "/tracker", "admin", "create-org", demoOrg, "--db", "/data/tracker.db")
	if err != nil {
		return "", err
	}
	d.token = lastLine(tok)
	d.env["TRACKER_HOST"], d.env["TRACKER_ORG"], d.env["TRACKER_API_TOKEN"] = d.trackerURL, demoOrg, d.token
	d.story.TrackerURL, d.story.Org, d.story.Token = d.trackerURL, demoOrg, d.token
	fmt.Fprintf(out, "demo: tracker %s (org %s), reachable from the VMs as http://tracker:8080\n", d.trackerURL, demoOrg)
	return d.trackerURL, nil
}

// startVMs boots beta and prod together, each with the tracker binary and
// the snapshot timer's env file, trusting the demo's deploy key.
func (d *demo) startVMs(ctx context.Context, s *state.State) (string, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	if d.signer, err = ssh.NewSignerFromKey(priv); err != nil {
		return "", err
	}
	bin, err := os.ReadFile(s.Build.Binaries["tracker"].Path)
	if err != nil {
		return "", err
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	for _, env := range []string{"beta", "prod"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			trackerEnv := fmt.Sprintf("TRACKER_ENV=%s\nTRACKER_HOST=http://tracker:8080\nTRACKER_ORG=%s\nTRACKER_API_TOKEN=%s\n", env, demoOrg, d.token)
			v, err := d.lab.StartVM(ctx, vm.VMOptions{Name: env, AuthorizedKeys: string(ssh.MarshalAuthorizedKey(d.signer.PublicKey())),
				Files: []vm.File{{Path: "/usr/local/bin/tracker", Mode: 0o755, Data: bin}, {Path: "/etc/minitwit/tracker.env", Mode: 0o600, Data: []byte(trackerEnv)}}})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			d.vms[env] = v
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	d.known = filepath.Join(d.tmp, "known_hosts")
	kh := d.vms["beta"].KnownHosts() + d.vms["prod"].KnownHosts()
	if err := os.WriteFile(d.known, []byte(kh), 0o600); err != nil {
		return "", err
	}
	return fmt.Sprintf("beta %s, prod %s", d.vms["beta"].HTTPURL, d.vms["prod"].HTTPURL), nil
}

// record records what build did before the tracker existed (the trail)
// and creates the environments.
func (d *demo) record(ctx context.Context, ro *RootOptions, out io.Writer) error {
	w, err := ro.open(ctx, d.factory(), out)
	if err != nil {
		return err
	}
	s, err := w.load()
	if err != nil {
		return err
	}
	if err := w.rec.BeginTrail(ctx, w.trail()); err != nil {
		return err
	}
	envs, err := state.LoadEnvironments(w.dir)
	if err != nil {
		return err
	}
	for _, n := range []string{"beta", "prod"} {
		e, err := envs.Get(n)
		if err != nil {
			return err
		}
		if err := w.rec.EnsureEnvironment(ctx, n, e.Description); err != nil {
			return err
		}
	}
	w.recorded(s, "build", "trail "+w.head.Short(), "environments beta, prod")
	return w.save(s)
}

// deploy deploys the state's minitwit to env through the gate and records
// the deployment and a snapshot after it.
func (d *demo) deploy(ctx context.Context, ro *RootOptions, env string, out io.Writer, onSoak func()) (string, error) {
	w, err := ro.open(ctx, d.factory(), out)
	if err != nil {
		return "", err
	}
	s, err := w.load()
	if err != nil {
		return "", err
	}
	ref, err := s.RequirePublished("minitwit")
	if err != nil {
		return "", err
	}
	envs, err := state.LoadEnvironments(w.dir)
	if err != nil {
		return "", err
	}
	e, err := envs.Get(env)
	if err != nil {
		return "", err
	}
	fp := strings.TrimPrefix(ref[strings.Index(ref, "@")+1:], "sha256:")
	v := d.vms[env]
	progress := deploy.Lines(out)
	res, derr := deploy.Deploy(ctx, deploy.Target{User: vm.User, Addr: v.SSHAddr, KnownHosts: d.known, Signer: d.signer}, deploy.Request{
		Options: deploy.Options{Env: env, Owner: "pipeline demo", Soak: d.o.Soak, HealthTimeout: 60 * time.Second,
			Progress: func(ev deploy.Event) {
				progress(ev)
				if ev.Step == deploy.StepSoak && onSoak != nil {
					onSoak()
				}
			}},
		Image: ref, Commit: s.Commit, Replicas: e.Replicas,
		AppEnv: map[string]string{"MINITWIT_SESSION_SECRET": "demo-session-secret-" + d.lab.Name},
		Check:  w.rec.Gate("minitwit", env, fp),
	})
	status := string(res.Status)
	if status == "" {
		status = string(deploy.StatusFailed)
	}
	ci := gitinfo.FromEnv(w.f.IO.Env)
	n, rerr := w.rec.Deployment(ctx, record.Deployment{Flow: "minitwit", Fingerprint: fp, Env: env, Status: status, BuildURL: ci.BuildURL(),
		Description: fmt.Sprintf("%s, %d replica(s), %s colour", status, e.Replicas, res.Colour)})
	if s.Deploys == nil {
		s.Deploys = map[string]state.Deploy{}
	}
	s.Deploys[env] = state.Deploy{Ref: ref, Host: vm.User + "@" + v.SSHAddr, Replicas: e.Replicas, Status: status, Deployment: n, At: time.Now().UTC()}
	w.recorded(s, "deploy", fmt.Sprintf("deployment #%d to %s (%s)", n, env, status))
	if err := w.save(s); err != nil {
		return "", err
	}
	if derr != nil {
		return "", derr
	}
	if rerr != nil {
		return "", rerr
	}
	sn, err := d.snapshot(ctx, env)
	if err != nil {
		return "", err
	}
	if env == "prod" && onSoak != nil {
		d.story.After = sn
	}
	return fmt.Sprintf("%s %d replica(s), serving in %.1fs, snapshot %s#%d", res.Colour, e.Replicas, res.Timings.Serving.Seconds(), env, sn), nil
}

// snapshot runs the VM's snapshot unit (what its timer runs every minute)
// now, and returns the environment's latest snapshot index.
func (d *demo) snapshot(ctx context.Context, env string) (int, error) {
	v := d.vms[env]
	if _, err := v.Exec(ctx, "systemctl", "start", "tracker-snapshot.service"); err != nil {
		logs, _ := v.Exec(context.Background(), "journalctl", "-u", "tracker-snapshot.service", "-n", "5", "--no-pager")
		return 0, fmt.Errorf("snapshot %s: %w: %s", env, err, cli.OneLine(logs))
	}
	rec, err := record.New(record.Config{Host: d.trackerURL, Org: demoOrg, Token: d.token})
	if err != nil {
		return 0, err
	}
	sn, err := rec.Client().GetSnapshot(ctx, env, "-1")
	if err != nil {
		return 0, fmt.Errorf("snapshot %s: %w", env, err)
	}
	return sn.Index, nil
}

// commitReplicas clones the checkout at src (its HEAD) to dst and commits
// prod's replicas set to n there.
func (d *demo) commitReplicas(ctx context.Context, src, dst string, n int) (string, error) {
	if out, err := exec.CommandContext(ctx, "git", "clone", "-q", "--shared", "--no-checkout", src, dst).CombinedOutput(); err != nil {
		return "", fmt.Errorf("git clone: %w: %s", err, out)
	}
	head, err := gitinfo.Head(ctx, src)
	if err != nil {
		return "", err
	}
	run := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dst
		// The commit's time follows the first's by a minute: rebuilding
		// the demo's second commit gives the same digest too.
		at := head.Time.Add(time.Minute).Format(time.RFC3339)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=pipeline demo", "GIT_AUTHOR_EMAIL=demo@minitwit-cd.invalid",
			"GIT_COMMITTER_NAME=pipeline demo", "GIT_COMMITTER_EMAIL=demo@minitwit-cd.invalid", "GIT_AUTHOR_DATE="+at, "GIT_COMMITTER_DATE="+at)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := run("checkout", "-q", "--detach", head.Commit); err != nil {
		return "", err
	}
	envs, err := state.LoadEnvironments(dst)
	if err != nil {
		return "", err
	}
	prod := envs["prod"]
	prod.Replicas = n
	envs["prod"] = prod
	b, err := json.MarshalIndent(envs, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dst, state.EnvironmentsFile), append(b, '\n'), 0o644); err != nil {
		return "", err
	}
	if err := run("commit", "-q", "-m", fmt.Sprintf("prod: run %d replicas", n), "--", state.EnvironmentsFile); err != nil {
		return "", err
	}
	h2, err := gitinfo.Head(ctx, dst)
	if err != nil {
		return "", err
	}
	d.story.Commits = append(d.story.Commits, h2.Commit)
	return h2.Short() + " prod: run 3 replicas", nil
}

// report prints the story as the tracker tells it.
func (d *demo) report(ctx context.Context, first, second *RootOptions) error {
	for _, ro := range []*RootOptions{first, second} {
		s, err := state.Load(ro.State)
		if err != nil {
			return err
		}
		ref, err := s.RequirePublished("minitwit")
		if err != nil {
			return err
		}
		d.story.Fingerprints = append(d.story.Fingerprints, strings.TrimPrefix(ref[strings.Index(ref, "@")+1:], "sha256:"))
	}
	s1, _ := state.Load(first.State)
	tracker := s1.Build.Binaries["tracker"].Path
	n := d.story.After
	for _, args := range [][]string{
		{"get", "artifact", "minitwit:" + d.story.Commits[1][:12]},
		{"get", "snapshot", fmt.Sprintf("prod#%d", n)},
		{"diff", "snapshots", fmt.Sprintf("prod#%d", n-1), fmt.Sprintf("prod#%d", n)},
	} {
		fmt.Fprintf(d.out, "\n$ tracker %s\n", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, tracker, args...)
		cmd.Env = append(os.Environ(), "TRACKER_HOST="+d.trackerURL, "TRACKER_ORG="+demoOrg, "TRACKER_API_TOKEN="+d.token)
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		err := cmd.Run()
		_, _ = d.out.Write(buf.Bytes())
		if err != nil {
			return fmt.Errorf("tracker %s: %w", strings.Join(args, " "), err)
		}
	}
	fmt.Fprintf(d.out, "\nThe tracker's page: %s/ui/%s/flows/minitwit/artifacts/%s\n", d.trackerURL, demoOrg, d.story.Fingerprints[1])
	fmt.Fprintf(d.out, "beta: %s   prod: %s\n", d.vms["beta"].HTTPURL, d.vms["prod"].HTTPURL)
	return nil
}

func (d *demo) printTimings() {
	fmt.Fprintf(d.out, "\n%-14s %8s  %s\n", "step", "seconds", "note")
	var total time.Duration
	for _, s := range d.list.Steps() {
		total += s.Elapsed
		fmt.Fprintf(d.out, "%-14s %8.1f  %s\n", s.Name, s.Elapsed.Seconds(), s.Note)
	}
	fmt.Fprintf(d.out, "%-14s %8.1f\n", "total", total.Seconds())
	fmt.Fprintf(d.out, "minitwit image: %.1f MB (compressed layers + config + manifest)\n", float64(d.story.ImageSize)/1e6)
}

func dockerCmd(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", args[0], err, cli.OneLine(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// waitReady polls the tracker's /ready until it answers 200.
func waitReady(ctx context.Context, url string, timeout time.Duration) error {
	rec, err := record.New(record.Config{Host: url, Org: demoOrg, Token: "-"})
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for {
		err := rec.Check(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("tracker at %s not ready after %s: %w", url, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
