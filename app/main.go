// Command minitwit serves MiniTwit, the course's Twitter clone: the web UI
// and the simulator API on one port (and optionally the API alone on a
// second), on SQLite or PostgreSQL.
//
//	minitwit [--addr :5000] [--api-addr :5001] [--db minitwit.db | postgres://…]
//
// Every flag has an environment variable (MINITWIT_ADDR, MINITWIT_API_ADDR,
// MINITWIT_DB, MINITWIT_SIM_USER, MINITWIT_SIM_PASSWORD,
// MINITWIT_BCRYPT_COST); the session secret comes only from
// MINITWIT_SESSION_SECRET, so it never shows in `ps`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/minitwit-cd/kit/app/server"
	"github.com/minitwit-cd/kit/internal/buildinfo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// errUsage marks a command-line mistake, already reported by the flag set.
var errUsage = errors.New("usage")

// exitCode maps run's error to the process exit status: 0 on success
// (and for --help), 2 for usage errors, 1 for everything else.
func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "minitwit: %v\n", err)
		return 1
	}
}

// shutdownTimeout bounds how long in-flight requests may take to finish
// after a stop signal.
const shutdownTimeout = 15 * time.Second

// run parses the flags and environment, starts the server and serves
// until ctx ends, then shuts down gracefully.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("minitwit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", env("MINITWIT_ADDR", ":5000"), "listen address of the web UI and simulator API (env MINITWIT_ADDR)")
	apiAddr := fs.String("api-addr", env("MINITWIT_API_ADDR", ""), "optional second listen address serving only the simulator API (env MINITWIT_API_ADDR)")
	db := fs.String("db", env("MINITWIT_DB", "minitwit.db"), "SQLite file path or postgres:// URL (env MINITWIT_DB)")
	simUser := fs.String("sim-user", env("MINITWIT_SIM_USER", "simulator"), "simulator API Basic-auth user (env MINITWIT_SIM_USER)")
	simPassword := fs.String("sim-password", env("MINITWIT_SIM_PASSWORD", "super_safe!"), "simulator API Basic-auth password (env MINITWIT_SIM_PASSWORD)")
	costDefault := 0
	if v := getenv("MINITWIT_BCRYPT_COST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fmt.Fprintf(stderr, "minitwit: MINITWIT_BCRYPT_COST=%q is not an integer\n", v)
			return errUsage
		}
		costDefault = n
	}
	bcryptCost := fs.Int("bcrypt-cost", costDefault, "password hashing cost, 4..31; 0 means the default, 8 (env MINITWIT_BCRYPT_COST)")
	version := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "minitwit: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	if *version {
		fmt.Fprintln(stdout, "minitwit", buildinfo.Get().String())
		return nil
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	srv, err := server.New(ctx, server.Config{
		Addr:          *addr,
		APIAddr:       *apiAddr,
		DB:            *db,
		SimUser:       *simUser,
		SimPassword:   *simPassword,
		SessionSecret: getenv("MINITWIT_SESSION_SECRET"),
		Logger:        logger,
		BcryptCost:    *bcryptCost,
	})
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
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	return errors.Join(serveErr, srv.Shutdown(sctx))
}
