package deploy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Scale changes the number of replicas of the serving colour in place: up
// starts the new containers, waits until they are healthy and adds them to
// nginx's upstream; down takes the highest-numbered ones out of the
// upstream first, then stops them. Nothing is redeployed.
func Scale(ctx context.Context, t Target, opts Options, replicas int) (Result, error) {
	opts.defaults(0)
	res := Result{Status: StatusFailed, Replicas: replicas}
	fail := func(err error) (Result, error) {
		res.Status = StatusFailed
		res.Timings.Total = time.Since(res.Started)
		return res, fmt.Errorf("scale %s: %w", opts.Env, err)
	}
	res.Started = opts.Now()
	if replicas < 1 || replicas > 20 {
		return fail(fmt.Errorf("replicas %d: want 1 to 20", replicas))
	}
	o, end, err := begin(ctx, t, opts, "", &res)
	if err != nil {
		return fail(err)
	}
	defer end()
	st, err := o.c.readState(o.t.Dir)
	if err != nil {
		return fail(err)
	}
	cur := st.Current()
	if cur == nil {
		return fail(errors.New("nothing is deployed on " + t.Addr + " yet"))
	}
	if st.Env != opts.Env {
		return fail(fmt.Errorf("the VM at %s serves env %q, not %q", t.Addr, st.Env, opts.Env))
	}
	res.Colour, res.Image, res.Commit, res.Previous = cur.Colour, cur.Image, cur.Commit, cur
	res.Digest, _ = Digest(cur.Image)
	rel := *cur
	rel.Replicas = replicas
	o.say(StepStart, "%s %s: %d → %d replica(s)", cur.Colour, short(cur.Commit), cur.Replicas, replicas)

	switch {
	case replicas > cur.Replicas:
		startAt := time.Now()
		if _, err := o.c.run(ctx, "cd "+quote(o.t.Dir)+" && "+o.compose(cur.Colour)+
			" up -d --no-build --no-recreate --scale minitwit="+strconv.Itoa(replicas)+" 2>&1"); err != nil {
			return fail(fmt.Errorf("start replicas: %w", err))
		}
		res.Timings.Start = time.Since(startAt)
		rs, err := o.waitHealthy(ctx, cur.Colour, cur.Commit, replicas)
		if err != nil {
			o.trim(cur.Colour, cur.Replicas)
			return fail(err)
		}
		if err := o.switchUpstream(ctx, upstreamConf(opts.Env, rel, rs), cur.Commit); err != nil {
			return fail(err)
		}
	case replicas < cur.Replicas:
		rs, err := o.replicas(ctx, cur.Colour)
		if err != nil {
			return fail(err)
		}
		if len(rs) < replicas {
			return fail(fmt.Errorf("only %d replicas of %s run", len(rs), cur.Colour))
		}
		if err := o.switchUpstream(ctx, upstreamConf(opts.Env, rel, rs[:replicas]), cur.Commit); err != nil {
			return fail(err)
		}
		if err := o.removeReplicas(ctx, rs[replicas:]); err != nil {
			o.warn(StepStop, err.Error())
		}
	}
	res.Timings.Serving = time.Since(o.start)
	st.Releases[len(st.Releases)-1].Replicas = replicas
	if err := o.c.writeState(o.t.Dir, st); err != nil {
		return fail(err)
	}
	res.Status = StatusSucceeded
	res.Timings.Total = time.Since(o.start)
	o.say(StepDone, "%s %s serving with %d replica(s)", cur.Colour, short(cur.Commit), replicas)
	return res, nil
}

func (o *op) removeReplicas(ctx context.Context, rs []replica) error {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	list := strings.Join(ids, " ")
	if _, err := o.c.run(ctx, "docker stop -t 10 "+list+" >/dev/null && docker rm -v "+list+" >/dev/null"); err != nil {
		return fmt.Errorf("remove replicas: %w", err)
	}
	return nil
}

// trim removes the replicas above n after a failed scale-up.
func (o *op) trim(colour string, n int) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rs, err := o.replicas(ctx, colour)
	if err == nil && len(rs) > n {
		err = o.removeReplicas(ctx, rs[n:])
	}
	if err != nil {
		o.warn(StepStop, fmt.Sprintf("could not remove the new replicas: %v", err))
	}
}
