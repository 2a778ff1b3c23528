package http

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/minitwit-cd/kit/internal/httplabel"
	"github.com/minitwit-cd/kit/tracker/model"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus metrics, on a registry of its own so
// that several servers in one process (tests) do not collide.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	reports   *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tracker_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "code"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tracker_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tracker_snapshot_reports_total", Help: "Environment reports by result (created or unchanged).",
		}, []string{"result"}),
	}
	m.reg.MustRegister(m.requests, m.durations, m.reports,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe logs and measures every request. Its method is a label only
// when it is a standard one (httplabel), so made-up methods cannot grow
// /metrics.
func (s *srv) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "other"
	}
	d := time.Since(start)
	s.m.requests.WithLabelValues(httplabel.Method(c.Request.Method), route, strconv.Itoa(c.Writer.Status())).Inc()
	s.m.durations.WithLabelValues(route).Observe(d.Seconds())
	level := slog.LevelInfo
	if c.Writer.Status() >= 500 {
		level = slog.LevelError
	}
	s.log.LogAttrs(c.Request.Context(), level, "request",
		slog.String("method", c.Request.Method), slog.String("path", c.Request.URL.Path),
		slog.Int("status", c.Writer.Status()), slog.Duration("duration", d))
}

// recoverPanic turns a panic into a logged 500 with a JSON message.
func (s *srv) recoverPanic(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if err, ok := r.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(r)
			}
			s.log.ErrorContext(c.Request.Context(), "panic", slog.Any("panic", r), slog.String("path", c.Request.URL.Path))
			s.fail(c, model.Errorf(model.EINTERNAL, "internal error"))
		}
	}()
	c.Next()
}
