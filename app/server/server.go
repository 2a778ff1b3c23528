// Package server wires MiniTwit together: it opens the store a DSN names,
// builds the HTTP handlers and runs them on one or two listeners with
// graceful shutdown. The minitwit binary, the end-to-end tests, the
// simulator's tests and the bench command all start MiniTwit through it.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	mthttp "github.com/minitwit-cd/kit/app/http"
	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/app/storage"
	"github.com/minitwit-cd/kit/internal/dsn"
)

// Config configures a Server. Only DB is required.
type Config struct {
	// Addr is the listen address of the web UI and the simulator API,
	// e.g. ":5000"; ":0" picks a free port (see Server.Addr).
	Addr string
	// APIAddr, when set, is a second listen address serving only the
	// simulator API.
	APIAddr string
	// DB is the store's DSN: a postgres:// URL or an SQLite file path.
	DB string
	// SimUser and SimPassword are the simulator API's Basic-auth
	// credentials; empty means the course's.
	SimUser, SimPassword string
	// SessionSecret signs session cookies. Empty means a random secret
	// (logged as a warning): sessions then end with the process.
	SessionSecret string
	// Logger receives the startup lines, the request log and internal
	// errors; nil discards them.
	Logger *slog.Logger
	// BcryptCost is the password hashing cost (4..31); 0 means
	// http.DefaultBcryptCost.
	BcryptCost int
	// MetricsAddr, when set, is a listen address serving /metrics (and
	// /healthz), which the other listeners then leave out.
	MetricsAddr string
	// TrustProxy says a reverse proxy in front sets X-Forwarded-For and
	// X-Forwarded-Proto (see http.Config.TrustProxy).
	TrustProxy bool
	// SessionTTL is how long a web session lasts; 0 means
	// http.DefaultSessionTTL.
	SessionTTL time.Duration
	// LoginLimit is the sign-in attempts per client address at once and
	// per minute; 0 means http.DefaultLoginLimit.
	LoginLimit int
}

// Server is a MiniTwit instance: a store and its HTTP listeners.
type Server struct {
	cfg   Config
	log   *slog.Logger
	store minitwit.Store

	web, api, metrics             *http.Server
	webLn, apiLn, metricsLn       net.Listener
	webAddr, apiAddr, metricsAddr string

	shutdownOnce sync.Once
	shutdownErr  error
	serveErrs    chan error
}

// New opens the store and builds the handlers; Start binds the listeners.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Addr == "" {
		cfg.Addr = ":5000"
	}
	if cfg.BcryptCost != 0 && (cfg.BcryptCost < bcrypt.MinCost || cfg.BcryptCost > bcrypt.MaxCost) {
		return nil, fmt.Errorf("bcrypt cost %d is outside %d..%d", cfg.BcryptCost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	if cfg.SessionTTL < 0 || cfg.LoginLimit < 0 {
		return nil, fmt.Errorf("session TTL %v and login limit %d must not be negative", cfg.SessionTTL, cfg.LoginLimit)
	}
	secret := []byte(cfg.SessionSecret)
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret) // crypto/rand.Read never fails
		cfg.Logger.Warn("MINITWIT_SESSION_SECRET is not set: using a random session secret, so sign-ins end when the process stops")
	}
	store, err := storage.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	accounts, err := minitwit.NewAccounts(store, cfg.BcryptCost)
	if err != nil {
		store.Close()
		return nil, err
	}
	hcfg := mthttp.Config{
		SimUser:       cfg.SimUser,
		SimPassword:   cfg.SimPassword,
		SessionSecret: secret,
		Logger:        cfg.Logger,
		BcryptCost:    cfg.BcryptCost,
		Accounts:      accounts,
		Metrics:       mthttp.NewMetrics(store),
		TrustProxy:    cfg.TrustProxy,
		SessionTTL:    cfg.SessionTTL,
		LoginLimit:    cfg.LoginLimit,
		HideMetrics:   cfg.MetricsAddr != "",
	}
	s := &Server{cfg: cfg, log: cfg.Logger, store: store, serveErrs: make(chan error, 3)}
	s.web = newHTTPServer(mthttp.NewHandler(hcfg, store), cfg.Logger)
	if cfg.APIAddr != "" {
		s.api = newHTTPServer(mthttp.NewAPIHandler(hcfg, store), cfg.Logger)
	}
	if cfg.MetricsAddr != "" {
		s.metrics = newHTTPServer(mthttp.MetricsHandler(hcfg.Metrics), cfg.Logger)
	}
	return s, nil
}

// newHTTPServer sets timeouts that keep slow or idle clients from holding
// connections forever while leaving ample room for real requests, which
// the course simulator expects in well under 300 ms.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    256 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Start binds the listeners and serves in the background. It logs
// "listening on http://HOST:PORT" (and "simulator API listening on …" for
// the second port) once each listener accepts connections.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.webLn, s.webAddr = ln, clientURL(ln.Addr())
	if s.api != nil {
		aln, err := net.Listen("tcp", s.cfg.APIAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen on %s: %w", s.cfg.APIAddr, err)
		}
		s.apiLn, s.apiAddr = aln, clientURL(aln.Addr())
	}
	if s.metrics != nil {
		mln, err := net.Listen("tcp", s.cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			if s.apiLn != nil {
				s.apiLn.Close()
			}
			return fmt.Errorf("listen on %s: %w", s.cfg.MetricsAddr, err)
		}
		s.metricsLn, s.metricsAddr = mln, clientURL(mln.Addr())
	}
	go s.serve(s.web, s.webLn)
	s.log.Info("listening on "+s.webAddr, "db", dsn.Redact(s.cfg.DB))
	if s.api != nil {
		go s.serve(s.api, s.apiLn)
		s.log.Info("simulator API listening on " + s.apiAddr)
	}
	if s.metrics != nil {
		go s.serve(s.metrics, s.metricsLn)
		s.log.Info("metrics listening on " + s.metricsAddr)
	}
	return nil
}

func (s *Server) serve(srv *http.Server, ln net.Listener) {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("serve", "addr", ln.Addr().String(), "error", err)
		s.serveErrs <- fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	}
}

// Err returns a channel that receives an error if a listener stops
// serving on its own (not through Shutdown).
func (s *Server) Err() <-chan error { return s.serveErrs }

// clientURL returns the URL a client on this machine uses to reach a
// listener: an unspecified host (":5000", "0.0.0.0") becomes 127.0.0.1.
func clientURL(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String()
	}
	host := "127.0.0.1"
	if !ta.IP.IsUnspecified() && ta.IP != nil {
		host = ta.IP.String()
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(ta.Port))
}

// Addr returns the base URL of the main listener, e.g.
// "http://127.0.0.1:5000"; empty before Start.
func (s *Server) Addr() string { return s.webAddr }

// APIAddr returns the base URL of the simulator-API listener; empty when
// there is none or before Start.
func (s *Server) APIAddr() string { return s.apiAddr }

// MetricsAddr returns the base URL of the metrics listener; empty when
// there is none or before Start.
func (s *Server) MetricsAddr() string { return s.metricsAddr }

// Store returns the server's store.
func (s *Server) Store() minitwit.Store { return s.store }

// Shutdown stops accepting connections, waits for in-flight requests to
// finish (or ctx to end), and then closes the store. It is safe to call
// more than once, and before Start.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() {
		// Both listeners drain at once, so a slow request on one does not
		// eat the other's share of ctx.
		srvs := []*http.Server{s.web, s.api, s.metrics}
		errs := make([]error, len(srvs)+1)
		var wg sync.WaitGroup
		for i, srv := range srvs {
			if srv == nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := srv.Shutdown(ctx); err != nil {
					errs[i] = fmt.Errorf("shut down HTTP server: %w", err)
				}
			}()
		}
		wg.Wait()
		if err := s.store.Close(); err != nil {
			errs[len(srvs)] = fmt.Errorf("close store: %w", err)
		}
		s.shutdownErr = errors.Join(errs...)
		if s.shutdownErr == nil {
			s.log.Info("stopped")
		}
	})
	return s.shutdownErr
}
