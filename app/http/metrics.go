package http

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/minitwit-cd/kit/app/minitwit"
	"github.com/minitwit-cd/kit/internal/httplabel"
)

// Metrics holds the Prometheus metrics of one server in its own registry
// (no global state, so tests can run many servers in one process).
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// StatsMaxAge is how long a read of the store's counts serves scrapes.
// Counting a million messages takes milliseconds of CPU and pulls the table
// through SQLite's page cache: read on every scrape, a scraper polling
// every 50 ms (the benchmark's sampler, or anyone, since /metrics is
// public) cost the server 0.15 cores and 90 MB of resident memory.
const StatsMaxAge = 10 * time.Second

// NewMetrics returns metrics that count requests by route template and
// status, time them, and report the store's users, messages and follows,
// read from the store when scraped, at most once per StatsMaxAge.
func NewMetrics(store minitwit.Store) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "minitwit_http_requests_total",
			Help: "HTTP requests served, by method, route template and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "minitwit_http_request_duration_seconds",
			Help: "Time to serve HTTP requests, by method and route template.",
			// Fine buckets at the low end, where the targets are, up to
			// the simulator's 300 ms limit and beyond.
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .2, .3, .5, 1, 2.5},
		}, []string{"method", "route"}),
	}
	m.registry.MustRegister(
		m.requests, m.latency,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&statsCollector{store: store, maxAge: StatsMaxAge, now: time.Now},
	)
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Registry returns the registry, for tests and for callers that add
// their own collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// observe counts a request. The method becomes a label only when it is a
// standard one (httplabel.Method): clients choose it freely.
func (m *Metrics) observe(method, route string, status int, elapsed time.Duration) {
	method = httplabel.Method(method)
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(method, route).Observe(elapsed.Seconds())
}

// statsCollector reads the store's counts when Prometheus scrapes, at most
// once per maxAge: later scrapes get the last counts, and concurrent ones
// wait for the one read in progress.
type statsCollector struct {
	store  minitwit.Store
	maxAge time.Duration
	now    func() time.Time

	mu   sync.Mutex
	last minitwit.Stats
	at   time.Time // when last was read; zero before the first success
}

// stats returns counts at most maxAge old, reading the store when needed;
// a failed read is not kept, so the next scrape tries again.
func (s *statsCollector) stats() (minitwit.Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !s.at.IsZero() && now.Sub(s.at) < s.maxAge {
		return s.last, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := s.store.Stats(ctx)
	if err != nil {
		return minitwit.Stats{}, err
	}
	s.last, s.at = st, now
	return st, nil
}

var (
	usersDesc    = prometheus.NewDesc("minitwit_users", "Registered users.", nil, nil)
	messagesDesc = prometheus.NewDesc("minitwit_messages", "Stored messages.", nil, nil)
	followsDesc  = prometheus.NewDesc("minitwit_follows", "Follow edges.", nil, nil)
	statsUpDesc  = prometheus.NewDesc("minitwit_store_stats_up", "1 when the last read of the store's counts succeeded.", nil, nil)
)

// Describe implements prometheus.Collector.
func (s *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- usersDesc
	ch <- messagesDesc
	ch <- followsDesc
	ch <- statsUpDesc
}

// Collect implements prometheus.Collector.
func (s *statsCollector) Collect(ch chan<- prometheus.Metric) {
	st, err := s.stats()
	if err != nil {
		// A failed read is reported as a metric, not a failed scrape, so
		// the other metrics still arrive.
		ch <- prometheus.MustNewConstMetric(statsUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(statsUpDesc, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(usersDesc, prometheus.GaugeValue, float64(st.Users))
	ch <- prometheus.MustNewConstMetric(messagesDesc, prometheus.GaugeValue, float64(st.Messages))
	ch <- prometheus.MustNewConstMetric(followsDesc, prometheus.GaugeValue, float64(st.Follows))
}
