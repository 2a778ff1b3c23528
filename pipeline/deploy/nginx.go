package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// upstreamPath is the file provision.sh includes in nginx's site and
// gives to the deploy user.
const upstreamPath = "/etc/nginx/minitwit/upstream.conf"

// upstreamConf lists a colour's replicas as nginx's upstream.
func upstreamConf(env string, rel Release, rs []replica) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by pipeline deploy: env %s, colour %s, commit %s,\n# image %s\n", env, rel.Colour, rel.Commit, rel.Image)
	b.WriteString("upstream minitwit {\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "    server %s max_fails=1 fail_timeout=2s;\n", r.Addr)
	}
	b.WriteString("    keepalive 16;\n}\n")
	return []byte(b.String())
}

// reloadNginx checks the configuration and reloads nginx (the two
// commands provision.sh's sudoers rule allows the deploy user).
func (o *op) reloadNginx(ctx context.Context) error {
	if _, err := o.c.run(ctx, "sudo -n /usr/sbin/nginx -t 2>&1"); err != nil {
		return fmt.Errorf("nginx -t: %w", err)
	}
	if _, err := o.c.run(ctx, "sudo -n /usr/sbin/nginx -s reload 2>&1"); err != nil {
		return fmt.Errorf("nginx reload: %w", err)
	}
	return nil
}

// switchUpstream writes the upstream, reloads nginx and waits until nginx
// serves the commit.
func (o *op) switchUpstream(ctx context.Context, conf []byte, commit string) error {
	if err := o.c.writeFile(upstreamPath, conf, 0o644); err != nil {
		return err
	}
	if err := o.reloadNginx(ctx); err != nil {
		return err
	}
	if err := o.waitNginx(ctx, commit); err != nil {
		return fmt.Errorf("nginx not serving %s after the reload: %w", short(commit), err)
	}
	return nil
}

// settled is how many answers in a row from the wanted commit make a
// reload done.
const settled = 3

// waitNginx waits until nginx answers with the commit settled times in a
// row, for at most 10 s. A reload is asynchronous: until its old workers
// have finished, some requests still go to the old upstream, which after a
// failed soak is a dead colour (a 502).
func (o *op) waitNginx(ctx context.Context, commit string) error {
	deadline := time.Now().Add(10 * time.Second)
	ok := 0
	for {
		err := o.probe(ctx, "127.0.0.1:80", commit)
		if err == nil {
			if ok++; ok >= settled {
				return nil
			}
		} else {
			ok = 0
			if time.Now().After(deadline) {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// restoreUpstream puts the previous upstream back (a failed switch, a
// failed soak), even when ctx is done, and waits until nginx serves
// commit, the release that served before ("" on a first deploy: nothing
// did).
func (o *op) restoreUpstream(_ context.Context, old []byte, commit string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := o.c.writeFile(upstreamPath, old, 0o644); err != nil {
		o.warn(StepBack, fmt.Sprintf("could not restore nginx's upstream: %v", err))
		return
	}
	if err := o.reloadNginx(ctx); err != nil {
		o.warn(StepBack, fmt.Sprintf("could not reload nginx with the previous upstream: %v", err))
		return
	}
	if commit == "" {
		return
	}
	if err := o.waitNginx(ctx, commit); err != nil {
		o.warn(StepBack, fmt.Sprintf("nginx not serving %s again after the restore: %v", short(commit), err))
	}
}
