package cmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/minitwit-cd/kit/app/server"
	"github.com/minitwit-cd/kit/internal/cli"
)

// ServeOptions are serve's flags.
type ServeOptions struct {
	IO     *cli.IOStreams
	Config server.Config
}

// ShutdownTimeout bounds how long in-flight requests may take to finish
// after a stop signal.
const ShutdownTimeout = 15 * time.Second

// NewCmdServe returns `minitwit serve`; runF replaces the run function in
// tests (nil: the real one).
func NewCmdServe(f *Factory, runF func(context.Context, *ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web UI and the simulator API (the default command)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Config.SessionSecret = f.IO.Env("MINITWIT_SESSION_SECRET")
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runServe(cmd.Context(), opts)
		},
	}
	c := &opts.Config
	fl := cmd.Flags()
	fl.StringVar(&c.Addr, "addr", ":5000", "listen address of the web UI and simulator API")
	fl.StringVar(&c.APIAddr, "api-addr", "", "optional second listen address serving only the simulator API")
	fl.StringVar(&c.MetricsAddr, "metrics-addr", "", "optional listen address for /metrics, which the other listeners then leave out")
	fl.StringVar(&c.DB, "db", "minitwit.db", "SQLite file path or postgres:// URL")
	fl.StringVar(&c.SimUser, "sim-user", "simulator", "simulator API Basic-auth user")
	fl.StringVar(&c.SimPassword, "sim-password", "super_safe!", "simulator API Basic-auth password")
	fl.IntVar(&c.BcryptCost, "bcrypt-cost", 0, "password hashing cost, 4..31; 0 means the default, 8")
	fl.BoolVar(&c.TrustProxy, "trust-proxy", false, "trust X-Forwarded-For and X-Forwarded-Proto from a reverse proxy (client address for the sign-in throttle; Secure cookies behind TLS)")
	fl.DurationVar(&c.SessionTTL, "session-ttl", 0, "how long a web session lasts; 0 means 168h")
	fl.IntVar(&c.LoginLimit, "login-limit", 0, "sign-in attempts per client address at once and per minute; 0 means 60")
	return cmd
}

// runServe starts the server and serves until ctx ends, then shuts down
// gracefully.
func runServe(ctx context.Context, opts *ServeOptions) error {
	if opts.Config.SessionTTL < 0 || opts.Config.LoginLimit < 0 {
		return cli.Usagef("--session-ttl and --login-limit must not be negative")
	}
	logger := slog.New(slog.NewTextHandler(opts.IO.ErrOut, nil))
	cfg := opts.Config
	cfg.Logger = logger
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		_ = srv.Shutdown(context.Background())
		return err
	}
	var serveErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case serveErr = <-srv.Err():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := errors.Join(serveErr, srv.Shutdown(sctx)); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
