package cmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/minitwit-cd/kit/internal/dsn"
	trackerhttp "github.com/minitwit-cd/kit/tracker/http"
	"github.com/minitwit-cd/kit/tracker/storage"
	"github.com/minitwit-cd/kit/tracker/web"
	"github.com/spf13/cobra"
)

// ServeOptions are the options of serve.
type ServeOptions struct {
	f            *Factory
	Addr         string
	DB           string
	MaxBodyBytes int64
	// BodyReadTimeout bounds the time to receive one request body.
	BodyReadTimeout time.Duration
	// MetricsAddr, when set, serves /metrics there instead of on Addr.
	MetricsAddr string
	// ShutdownTimeout bounds the graceful shutdown.
	ShutdownTimeout time.Duration
}

// NewCmdServe runs the tracker server: the API, the web UI, /ready,
// /version and /metrics on one address.
func NewCmdServe(f *Factory, runF func(*ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{f: f}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the tracker server (API and web UI)",
		Long: `Run the tracker server. --db is a SQLite file path, or a postgres:// URL
for a shared or replicated deployment. It logs "listening on http://HOST:PORT"
once it accepts connections (--addr 127.0.0.1:0 picks a free port) and
shuts down gracefully on SIGINT/SIGTERM.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runServe(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", f.envOr("TRACKER_ADDR", ":8080"), "listen address (env TRACKER_ADDR)")
	cmd.Flags().StringVar(&opts.DB, "db", f.envOr("TRACKER_DB", "tracker.db"), "SQLite file or postgres:// URL (env TRACKER_DB)")
	cmd.Flags().Int64Var(&opts.MaxBodyBytes, "max-body-bytes", trackerhttp.DefaultMaxBodyBytes, "largest accepted request body")
	cmd.Flags().DurationVar(&opts.BodyReadTimeout, "body-read-timeout", trackerhttp.DefaultBodyReadTimeout, "longest time to receive one request body (a slower client gets 408)")
	cmd.Flags().StringVar(&opts.MetricsAddr, "metrics-addr", f.envOr("TRACKER_METRICS_ADDR", ""), "serve /metrics on this address instead of --addr (env TRACKER_METRICS_ADDR)")
	cmd.Flags().DurationVar(&opts.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long to let requests finish on shutdown")
	return cmd
}

func runServe(ctx context.Context, o *ServeOptions) error {
	logger := slog.New(slog.NewTextHandler(o.f.IO.ErrOut, nil))
	store, err := storage.Open(ctx, o.DB)
	if err != nil {
		return err
	}
	defer store.Close()
	now := o.f.ServerNow
	if now == nil {
		now = time.Now
	}
	ui := web.New(store, web.Config{Logger: logger, Now: now})
	sopts := trackerhttp.Config{Logger: logger, UI: ui, Now: now, MaxBodyBytes: o.MaxBodyBytes, BodyReadTimeout: o.BodyReadTimeout}
	// One listener for the API and UI, and one for /metrics when it has
	// an address of its own.
	type listener struct {
		addr    string
		handler http.Handler
		metrics bool
	}
	var ls []listener
	if o.MetricsAddr == "" {
		ls = append(ls, listener{addr: o.Addr, handler: trackerhttp.New(store, sopts)})
	} else {
		api, metrics := trackerhttp.NewWithMetrics(store, sopts)
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics)
		ls = append(ls, listener{addr: o.Addr, handler: api}, listener{addr: o.MetricsAddr, handler: mux, metrics: true})
	}
	var servers []*http.Server
	errc := make(chan error, len(ls))
	for _, x := range ls {
		l, err := net.Listen("tcp", x.addr)
		if err != nil {
			for _, s := range servers {
				s.Close()
			}
			return fmt.Errorf("listen on %s: %w", x.addr, err)
		}
		srv := &http.Server{
			Handler:           x.handler,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		}
		servers = append(servers, srv)
		go func() { errc <- srv.Serve(l) }()
		if x.metrics {
			logger.Info("metrics on " + listenURL(l.Addr()) + "/metrics")
		} else {
			logger.Info("listening on "+listenURL(l.Addr()), "db", dsn.Redact(o.DB))
		}
	}

	select {
	case err := <-errc:
		for _, s := range servers {
			s.Close()
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
	}
	for range servers {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	}
	return nil
}

// listenURL is the URL clients use: an unspecified address (":8080")
// is reachable on localhost.
func listenURL(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}
