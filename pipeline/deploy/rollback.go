package deploy

import (
	"context"
	"fmt"
	"time"
)

// Rollback returns the VM to the release before the serving one, blue-green
// like a deploy (its image is usually still on the VM, so nothing is
// pulled), and drops the release it rolled back from from the history, so
// a second Rollback goes one further back. The replica count stays.
func Rollback(ctx context.Context, t Target, opts Options) (Result, error) {
	opts.defaults(2 * time.Second)
	res := Result{Status: StatusFailed}
	fail := func(err error) (Result, error) {
		res.Status = StatusFailed
		res.Timings.Total = time.Since(res.Started)
		return res, fmt.Errorf("rollback %s: %w", opts.Env, err)
	}
	res.Started = opts.Now()
	o, end, err := begin(ctx, t, opts, "", &res)
	if err != nil {
		return fail(err)
	}
	defer end()
	st, err := o.c.readState(o.t.Dir)
	if err != nil {
		return fail(err)
	}
	if st.Env != "" && st.Env != opts.Env {
		return fail(fmt.Errorf("the VM at %s serves env %q, not %q", t.Addr, st.Env, opts.Env))
	}
	if len(st.Releases) < 2 {
		return fail(fmt.Errorf("%w on %s (%d release(s) in the history)", ErrNoPrevious, t.Addr, len(st.Releases)))
	}
	cur := *st.Current()
	prev := st.Releases[len(st.Releases)-2]
	prev.Replicas = cur.Replicas
	prev.Forced = false
	res.Image, res.Commit, res.Replicas = prev.Image, prev.Commit, prev.Replicas
	if res.Digest, err = Digest(prev.Image); err != nil {
		return fail(err)
	}
	o.say(StepBack, "back from %s to %s (%s)", short(cur.Commit), short(prev.Commit), digestOf(prev.Image))
	err = o.blueGreen(ctx, st, prev, func(s *State, r Release) {
		s.Releases = append(s.Releases[:len(s.Releases)-2], r)
	})
	res.Timings.Total = time.Since(o.start)
	if err != nil {
		return res, fmt.Errorf("rollback %s: %w", opts.Env, err)
	}
	return res, nil
}
