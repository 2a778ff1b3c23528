// Package deploy deploys MiniTwit to a VM over SSH, blue-green behind
// nginx: the new colour starts beside the old on the shared database
// volume, is switched in once its /healthz answers and its /version
// reports the commit being deployed, is watched through a soak window, and
// only then is the old colour stopped. A new colour that never gets healthy
// is removed (StatusFailed); one that fails during the soak is switched back
// out (StatusRolledBack). Either way the old version keeps serving.
//
// It talks to the VM that vagrant/provision.sh provisioned (the droplet or
// the pipeline/vm stand-in) as the deploy user: golang.org/x/crypto/ssh with
// the host key pinned by a known_hosts file (never unchecked), SFTP for the
// files, a lock file with owner, commit and expiry so two deploys never
// interleave, and the release history in the deploy directory, which
// Rollback returns along. Health checks go through SSH local forwards to
// the replicas' loopback ports, so nothing but 22 and 80 is open.
//
// The package never logs or exits: progress goes to Options.Progress as
// Events, the outcome is a Result (also when the deploy failed, with the
// error beside it), and the caller (pipeline's deploy command) records it
// in the tracker and owns the exit code.
package deploy

import (
	"context"
	_ "embed" // the compose file
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
)

//go:embed compose.yml
var composeFile []byte

// Status is a deploy's outcome, as the tracker records it.
type Status string

// The outcomes.
const (
	// StatusSucceeded: the new version serves and the old one is stopped.
	StatusSucceeded Status = "succeeded"
	// StatusFailed: the new version never served; the old one still does.
	StatusFailed Status = "failed"
	// StatusRolledBack: the new version served, failed during the soak,
	// and was switched back out; the old one serves again.
	StatusRolledBack Status = "rolled_back"
)

// Colours.
const (
	Blue  = "blue"
	Green = "green"
)

// Errors callers branch on.
var (
	// ErrNotDigest: the image reference does not pin a digest.
	ErrNotDigest = errors.New("image reference is not pinned by digest (want NAME@sha256:<64 hex>)")
	// ErrUnhealthy: the new colour did not get healthy in time.
	ErrUnhealthy = errors.New("new version not healthy")
	// ErrSoak: the new colour failed during the soak window.
	ErrSoak = errors.New("new version failed during the soak")
	// ErrNoPrevious: there is no earlier good release to roll back to.
	ErrNoPrevious = errors.New("no previous good release")
	// ErrCheck: the pre-deploy check (the tracker's gate) refused.
	ErrCheck = errors.New("pre-deploy check refused")
)

// Event is one progress report.
type Event struct {
	// Step is connect, check, lock, upload, pull, start, health, switch,
	// soak, stop, rollback or done.
	Step string
	// Message says what happens, in one line.
	Message string
	// Warning marks something the user should read (a stale lock taken
	// over, a forced deploy).
	Warning bool
	// Elapsed is the time since the operation began.
	Elapsed time.Duration
}

// Steps with an Event of their own.
const (
	StepConnect = "connect"
	StepCheck   = "check"
	StepLock    = "lock"
	StepUpload  = "upload"
	StepPull    = "pull"
	StepStart   = "start"
	StepHealth  = "health"
	StepSwitch  = "switch"
	StepSoak    = "soak"
	StepStop    = "stop"
	StepBack    = "rollback"
	StepDone    = "done"
)

// Lines returns a progress function that writes each event as one line.
func Lines(w io.Writer) func(Event) {
	return func(e Event) {
		mark := ""
		if e.Warning {
			mark = "WARNING: "
		}
		fmt.Fprintf(w, "deploy: %6.2fs %-7s %s%s\n", e.Elapsed.Seconds(), e.Step, mark, e.Message)
	}
}

// Options are what every operation shares.
type Options struct {
	// Env is the environment's name (prod, beta). The VM remembers the
	// first one deployed to it and refuses another.
	Env string
	// Owner names who deploys, for the lock (default "pipeline").
	Owner string
	// LockTTL is how long the lock is valid (default 10 min); a lock past
	// it is taken over.
	LockTTL time.Duration
	// HealthTimeout bounds the wait for the new replicas' /healthz and
	// /version (default 60 s).
	HealthTimeout time.Duration
	// Soak is how long the new colour is watched after the switch before
	// the old one stops (default 10 s for Deploy, 2 s for Rollback).
	Soak time.Duration
	// Progress receives Events (nil: none).
	Progress func(Event)
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Request is one deploy.
type Request struct {
	Options
	// Image is the image to run, pinned by digest: NAME@sha256:….
	Image string
	// Commit is the commit the image was built from: its /version must
	// report it before it gets traffic.
	Commit string
	// Replicas is the number of containers of the colour (default 1).
	Replicas int
	// AppEnv is MiniTwit's environment (MINITWIT_SESSION_SECRET …),
	// written to the VM's app.env (mode 0600).
	AppEnv map[string]string
	// Check runs before anything on the VM changes (after the lock is
	// taken): the tracker's gate. An error refuses the deploy.
	Check func(ctx context.Context) error
	// Forced records that the gate was overridden (--force): kept in the
	// VM's history and in the Result, and announced as a warning.
	Forced bool
}

// Timings are the phases of one operation.
type Timings struct {
	Connect, Lock, Pull, Start, Healthy, Switch, Soak, Stop time.Duration
	// Serving is from the start to the new version answering through
	// nginx (the switch's end): the deploy's user-visible latency.
	Serving time.Duration
	// Total is the whole operation.
	Total time.Duration
}

// Result is an operation's outcome. It is returned also when the
// operation failed, beside the error.
type Result struct {
	Env    string
	Status Status
	// Colour is the colour deployed (or attempted).
	Colour string
	// Image and Digest are what was deployed (Digest: sha256:…).
	Image, Digest string
	Commit        string
	Replicas      int
	Forced        bool
	// Previous is the release that served before (nil: the first deploy).
	Previous *Release
	Started  time.Time
	Timings  Timings
	// Warnings are the warning events, in order.
	Warnings []string
}

// Digest returns the sha256:… digest an image reference pins, or an error
// wrapping ErrNotDigest.
func Digest(image string) (string, error) {
	ref, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", fmt.Errorf("image %q: %w: %w", image, ErrNotDigest, err)
	}
	c, ok := ref.(reference.Canonical)
	if !ok {
		return "", fmt.Errorf("image %q: %w", image, ErrNotDigest)
	}
	return c.Digest().String(), nil
}

func (t Target) withDefaults() Target {
	if t.Dir == "" {
		t.Dir = DefaultDir
	}
	return t
}

func (o *Options) defaults(soak time.Duration) {
	if o.Owner == "" {
		o.Owner = "pipeline"
	}
	if o.LockTTL == 0 {
		o.LockTTL = 10 * time.Minute
	}
	if o.HealthTimeout == 0 {
		o.HealthTimeout = 60 * time.Second
	}
	if o.Soak == 0 {
		o.Soak = soak
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// op is one running operation on one VM.
type op struct {
	opts  Options
	t     Target
	c     *conn
	start time.Time
	res   *Result
	http  *http.Client
}

func (o *op) say(step, format string, args ...any) {
	if o.opts.Progress != nil {
		o.opts.Progress(Event{Step: step, Message: fmt.Sprintf(format, args...), Elapsed: time.Since(o.start)})
	}
}

func (o *op) warn(step, msg string) {
	o.res.Warnings = append(o.res.Warnings, msg)
	if o.opts.Progress != nil {
		o.opts.Progress(Event{Step: step, Message: msg, Warning: true, Elapsed: time.Since(o.start)})
	}
}

// begin connects and takes the lock.
func begin(ctx context.Context, t Target, opts Options, commit string, res *Result) (*op, func(), error) {
	t = t.withDefaults()
	o := &op{opts: opts, t: t, start: time.Now(), res: res}
	res.Env, res.Started = opts.Env, opts.Now()
	if opts.Env == "" {
		return nil, nil, errors.New("an environment name is required")
	}
	o.say(StepConnect, "%s@%s", t.User, t.Addr)
	c, err := dial(ctx, t)
	if err != nil {
		return nil, nil, err
	}
	o.c = c
	res.Timings.Connect = time.Since(o.start)
	o.http = &http.Client{
		Timeout: 3 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
				return c.ssh.DialContext(ctx, "tcp", addr)
			},
			DisableKeepAlives: true,
		},
	}
	lockStart := time.Now()
	now := opts.Now()
	release, err := c.acquireLock(ctx, t.Dir, Lock{Owner: opts.Owner, Env: opts.Env, Commit: commit, Acquired: now, Expires: now.Add(opts.LockTTL)}, now,
		func(msg string) { o.warn(StepLock, msg) })
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	res.Timings.Lock = time.Since(lockStart)
	o.say(StepLock, "deploy lock taken by %s until %s", opts.Owner, now.Add(opts.LockTTL).UTC().Format(time.RFC3339))
	return o, func() { release(); c.Close() }, nil
}

// Deploy deploys req.Image blue-green to the VM. The error is nil only
// when the Result's status is StatusSucceeded.
func Deploy(ctx context.Context, t Target, req Request) (Result, error) {
	req.defaults(10 * time.Second)
	if req.Replicas == 0 {
		req.Replicas = 1
	}
	res := Result{Status: StatusFailed, Image: req.Image, Commit: req.Commit, Replicas: req.Replicas, Forced: req.Forced}
	fail := func(err error) (Result, error) {
		res.Status = StatusFailed
		res.Timings.Total = time.Since(res.Started)
		return res, fmt.Errorf("deploy %s: %w", req.Env, err)
	}
	res.Started = req.Now()
	digest, err := Digest(req.Image)
	if err != nil {
		return fail(err)
	}
	res.Digest = digest
	if req.Commit == "" {
		return fail(errors.New("the commit the image was built from is required (its /version must report it)"))
	}
	if req.Replicas < 1 || req.Replicas > 20 {
		return fail(fmt.Errorf("replicas %d: want 1 to 20", req.Replicas))
	}
	o, end, err := begin(ctx, t, req.Options, req.Commit, &res)
	if err != nil {
		return fail(err)
	}
	defer end()
	if req.Forced {
		o.warn(StepCheck, "deploying with --force: the gate's verdict is overridden and recorded")
	}
	if req.Check != nil {
		o.say(StepCheck, "pre-deploy check")
		if err := req.Check(ctx); err != nil {
			return fail(fmt.Errorf("%w: %w", ErrCheck, err))
		}
	}
	st, err := o.c.readState(o.t.Dir)
	if err != nil {
		return fail(err)
	}
	if st.Env != "" && st.Env != req.Env {
		return fail(fmt.Errorf("the VM at %s serves env %q, not %q", t.Addr, st.Env, req.Env))
	}
	rel := Release{Image: req.Image, Commit: req.Commit, Replicas: req.Replicas, Forced: req.Forced}
	if err := o.upload(req.AppEnv); err != nil {
		return fail(err)
	}
	err = o.blueGreen(ctx, st, rel, func(s *State, r Release) { s.Releases = append(s.Releases, r) })
	res.Timings.Total = time.Since(o.start)
	if err != nil {
		return res, fmt.Errorf("deploy %s: %w", req.Env, err)
	}
	return res, nil
}

// upload writes the compose file and the app's environment.
func (o *op) upload(appEnv map[string]string) error {
	o.say(StepUpload, "compose file and app.env to %s", o.t.Dir)
	if err := o.c.writeFile(path.Join(o.t.Dir, "docker-compose.yml"), composeFile, 0o644); err != nil {
		return err
	}
	keys := make([]string, 0, len(appEnv))
	for k := range appEnv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if strings.ContainsAny(k, "=\n") || strings.Contains(appEnv[k], "\n") {
			return fmt.Errorf("app env %q: names and values must be one line, names without '='", k)
		}
		fmt.Fprintf(&b, "%s=%s\n", k, appEnv[k])
	}
	return o.c.writeFile(path.Join(o.t.Dir, "app.env"), []byte(b.String()), 0o600)
}

// blueGreen runs rel in the colour that is not serving, switches nginx to
// it, soaks, and stops the old colour; record updates the state on
// success. It fills o.res.
func (o *op) blueGreen(ctx context.Context, st *State, rel Release, record func(*State, Release)) error {
	cur := st.Current()
	rel.Colour = Blue
	if cur != nil && cur.Colour == Blue {
		rel.Colour = Green
	}
	o.res.Colour, o.res.Previous = rel.Colour, cur
	o.res.Status = StatusFailed
	from := "nothing (first deploy)"
	if cur != nil {
		from = fmt.Sprintf("%s %s (%s)", cur.Colour, short(cur.Commit), digestOf(cur.Image))
	}
	o.say(StepStart, "%s → %s %s (%s), %d replica(s)", from, rel.Colour, short(rel.Commit), digestOf(rel.Image), rel.Replicas)
	prev := "" // the commit nginx serves before the switch
	if cur != nil {
		prev = cur.Commit
	}

	envFile := "MINITWIT_IMAGE=" + rel.Image + "\nMINITWIT_COLOUR=" + rel.Colour + "\n"
	if err := o.c.writeFile(path.Join(o.t.Dir, rel.Colour+".env"), []byte(envFile), 0o644); err != nil {
		return err
	}
	startAt := time.Now()
	if ids := o.stopped(ctx, rel.Colour, rel.Image, rel.Replicas); ids != "" {
		// The colour's stopped containers run this very image (a rollback
		// to the release that served before): start them again.
		if _, err := o.c.run(ctx, "docker start "+ids+" >/dev/null"); err != nil {
			o.cleanup(rel.Colour)
			return fmt.Errorf("start %s: %w", rel.Colour, err)
		}
		o.say(StepStart, "restarted the stopped %s containers of %s", rel.Colour, digestOf(rel.Image))
	} else {
		// A leftover of this colour (an older release, a failed deploy's)
		// goes first.
		if err := o.removeColour(ctx, rel.Colour); err != nil {
			return err
		}
		pullStart := time.Now()
		out, err := o.c.run(ctx, "docker image inspect "+quote(rel.Image)+" >/dev/null 2>&1 && echo present || docker pull -q "+quote(rel.Image))
		if err != nil {
			return fmt.Errorf("pull %s: %w", rel.Image, err)
		}
		o.res.Timings.Pull = time.Since(pullStart)
		if strings.TrimSpace(out) == "present" {
			o.say(StepPull, "image already on the VM")
		} else {
			o.say(StepPull, "pulled %s in %s", digestOf(rel.Image), o.res.Timings.Pull.Round(time.Millisecond))
		}
		startAt = time.Now()
		if _, err := o.c.run(ctx, "cd "+quote(o.t.Dir)+" && docker volume create minitwit-data >/dev/null && "+
			o.compose(rel.Colour)+" up -d --no-build --scale minitwit="+strconv.Itoa(rel.Replicas)+" 2>&1"); err != nil {
			o.cleanup(rel.Colour)
			return fmt.Errorf("start %s: %w", rel.Colour, err)
		}
	}
	o.res.Timings.Start = time.Since(startAt)
	healthStart := time.Now()
	replicas, err := o.waitHealthy(ctx, rel.Colour, rel.Commit, rel.Replicas)
	if err != nil {
		o.say(StepHealth, "%v; removing %s, %s keeps serving", err, rel.Colour, from)
		o.cleanup(rel.Colour)
		return err
	}
	o.res.Timings.Healthy = time.Since(healthStart)
	o.say(StepHealth, "%d replica(s) healthy, /version reports %s", len(replicas), short(rel.Commit))

	switchStart := time.Now()
	old, err := o.c.readFile(upstreamPath)
	if err != nil {
		o.cleanup(rel.Colour)
		return fmt.Errorf("read %s: %w", upstreamPath, err)
	}
	if err := o.switchUpstream(ctx, upstreamConf(o.opts.Env, rel, replicas), rel.Commit); err != nil {
		o.restoreUpstream(ctx, old, prev)
		o.cleanup(rel.Colour)
		return fmt.Errorf("switch nginx to %s: %w", rel.Colour, err)
	}
	o.res.Timings.Switch = time.Since(switchStart)
	o.res.Timings.Serving = time.Since(o.start)
	o.say(StepSwitch, "nginx serves %s %s", rel.Colour, short(rel.Commit))

	soakStart := time.Now()
	o.say(StepSoak, "watching %s for %s", rel.Colour, o.opts.Soak)
	if err := o.soak(ctx, replicas); err != nil {
		o.say(StepBack, "%v: switching back to %s", err, from)
		o.restoreUpstream(ctx, old, prev)
		o.cleanup(rel.Colour)
		o.res.Status = StatusRolledBack
		return fmt.Errorf("%w: %w", ErrSoak, err)
	}
	o.res.Timings.Soak = time.Since(soakStart)

	stopStart := time.Now()
	if cur != nil && cur.Colour != rel.Colour {
		// Stopped, not removed: a rollback starts them again.
		o.say(StepStop, "stopping %s (kept for a rollback)", cur.Colour)
		if err := o.stopColour(ctx, cur.Colour); err != nil {
			// The new version serves; a stuck old container is a warning.
			o.warn(StepStop, fmt.Sprintf("could not stop %s: %v", cur.Colour, err))
		}
	}
	o.res.Timings.Stop = time.Since(stopStart)
	rel.Deployed = o.opts.Now()
	st.Env = o.opts.Env
	record(st, rel)
	if err := o.c.writeState(o.t.Dir, st); err != nil {
		o.warn(StepDone, fmt.Sprintf("the release history was not saved (rollback will not know this release): %v", err))
	}
	o.res.Status = StatusSucceeded
	o.res.Timings.Total = time.Since(o.start)
	o.say(StepDone, "%s %s serving, %d replica(s); new version serving after %s", rel.Colour, short(rel.Commit), rel.Replicas, o.res.Timings.Serving.Round(10*time.Millisecond))
	return nil
}

func digestOf(image string) string {
	if i := strings.Index(image, "@sha256:"); i >= 0 && len(image) >= i+8+12 {
		return "sha256:" + image[i+8:i+8+12]
	}
	return image
}

// compose is the docker-compose command line of a colour's project.
func (o *op) compose(colour string) string {
	return "docker-compose -p " + project(colour) + " --env-file " + quote(colour+".env")
}

func project(colour string) string { return "minitwit-" + colour }

// removeColour stops and removes a colour's containers (docker directly:
// faster than docker-compose, and it needs no env file).
func (o *op) removeColour(ctx context.Context, colour string) error {
	_, err := o.c.run(ctx, "ids=$(docker ps -aq --filter label=com.docker.compose.project="+project(colour)+"); "+
		`[ -z "$ids" ] || { docker stop -t 10 $ids >/dev/null && docker rm -v $ids >/dev/null; }`)
	if err != nil {
		return fmt.Errorf("remove %s: %w", colour, err)
	}
	return nil
}

// stopColour stops a colour's containers and keeps them.
func (o *op) stopColour(ctx context.Context, colour string) error {
	_, err := o.c.run(ctx, "ids=$(docker ps -q --filter label=com.docker.compose.project="+project(colour)+"); "+
		`[ -z "$ids" ] || docker stop -t 10 $ids >/dev/null`)
	if err != nil {
		return fmt.Errorf("stop %s: %w", colour, err)
	}
	return nil
}

// stopped returns the IDs of a colour's containers when there are exactly
// n of them and all run image (compared by image ID: docker ps shows a
// digest reference without its digest); "" otherwise.
func (o *op) stopped(ctx context.Context, colour, image string, n int) string {
	out, err := o.c.run(ctx, "docker image inspect --format 'want {{.Id}}' "+quote(image)+" 2>/dev/null || exit 0; "+
		"docker ps -aq --filter label=com.docker.compose.project="+project(colour)+" | xargs -r docker inspect --format '{{.Id}} {{.Image}}'")
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want, ok := strings.CutPrefix(lines[0], "want ")
	if !ok || len(lines)-1 != n {
		return ""
	}
	var ids []string
	for _, line := range lines[1:] {
		id, img, ok := strings.Cut(line, " ")
		if !ok || img != want {
			return ""
		}
		ids = append(ids, id[:12])
	}
	return strings.Join(ids, " ")
}

// cleanup removes a colour after a failure, even when ctx is done.
func (o *op) cleanup(colour string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := o.removeColour(ctx, colour); err != nil {
		o.warn(StepStop, fmt.Sprintf("could not remove the failed %s: %v", colour, err))
	}
}

// replica is one running container of a colour.
type replica struct {
	ID     string
	Number int
	Addr   string // 127.0.0.1:PORT on the VM
}

// replicas lists a colour's running containers by compose number.
func (o *op) replicas(ctx context.Context, colour string) ([]replica, error) {
	out, err := o.c.run(ctx, "docker ps --filter label=com.docker.compose.project="+project(colour)+
		` --format '{{.ID}} {{.Label "com.docker.compose.container-number"}} {{.Ports}}'`)
	if err != nil {
		return nil, err
	}
	var rs []replica
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		n, _ := strconv.Atoi(f[1])
		// Ports: "127.0.0.1:49153->5000/tcp"
		p := strings.TrimSuffix(f[2], ",")
		host, _, ok := strings.Cut(p, "->")
		if !ok {
			continue
		}
		rs = append(rs, replica{ID: f[0], Number: n, Addr: host})
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Number < rs[j].Number })
	return rs, nil
}

// versionInfo is what minitwit's /version answers.
type versionInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

// probe checks one address: /healthz 200 and, with commit set, /version
// reporting it.
func (o *op) probe(ctx context.Context, addr, commit string) error {
	resp, err := o.get(ctx, "http://"+addr+"/healthz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz: %s", resp.Status)
	}
	if commit == "" {
		return nil
	}
	resp, err = o.get(ctx, "http://"+addr+"/version")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var v versionInfo
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&v); err != nil {
		return fmt.Errorf("/version: %w", err)
	}
	if v.Commit != commit {
		return fmt.Errorf("/version reports commit %s, want %s", short(v.Commit), short(commit))
	}
	return nil
}

func (o *op) get(ctx context.Context, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return o.http.Do(req)
}

// waitHealthy polls until want replicas of the colour run and each passes
// probe, or HealthTimeout passes.
func (o *op) waitHealthy(ctx context.Context, colour, commit string, want int) ([]replica, error) {
	deadline := time.Now().Add(o.opts.HealthTimeout)
	var last error
	for {
		rs, err := o.replicas(ctx, colour)
		switch {
		case err != nil:
			last = err
		case len(rs) < want:
			last = fmt.Errorf("%d of %d replicas running", len(rs), want)
		default:
			last = nil
			for _, r := range rs {
				if err := o.probe(ctx, r.Addr, commit); err != nil {
					last = fmt.Errorf("replica %d: %w", r.Number, err)
					break
				}
			}
			if last == nil {
				return rs, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w after %s: %w", ErrUnhealthy, o.opts.HealthTimeout, last)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w (last: %w)", ErrUnhealthy, ctx.Err(), last)
		case <-time.After(150 * time.Millisecond):
		}
	}
}

// soak watches the replicas and nginx for the soak window: two failed
// rounds in a row end it.
func (o *op) soak(ctx context.Context, rs []replica) error {
	end := time.Now().Add(o.opts.Soak)
	failures := 0
	for time.Now().Before(end) {
		var err error
		for _, r := range rs {
			if err = o.probe(ctx, r.Addr, ""); err != nil {
				err = fmt.Errorf("replica %d: %w", r.Number, err)
				break
			}
		}
		if err == nil {
			err = o.probe(ctx, "127.0.0.1:80", "")
			if err != nil {
				err = fmt.Errorf("nginx: %w", err)
			}
		}
		if err != nil {
			failures++
			if failures >= 2 {
				return err
			}
		} else {
			failures = 0
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return nil
}
