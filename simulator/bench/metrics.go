package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Process is what the server's /metrics says of its process (the
// Prometheus process collector): resident memory in bytes and CPU seconds.
type Process struct {
	RSS, CPUSeconds float64
}

// ReadProcess reads process_resident_memory_bytes and
// process_cpu_seconds_total from the Prometheus text at metricsURL.
func ReadProcess(ctx context.Context, client *http.Client, metricsURL string) (Process, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return Process{}, fmt.Errorf("bench: metrics: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return Process{}, fmt.Errorf("bench: metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Process{}, fmt.Errorf("bench: GET %s: status %d", metricsURL, resp.StatusCode)
	}
	p := Process{RSS: -1, CPUSeconds: -1}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "process_resident_memory_bytes":
			p.RSS, _ = strconv.ParseFloat(strings.TrimSpace(value), 64)
		case "process_cpu_seconds_total":
			p.CPUSeconds, _ = strconv.ParseFloat(strings.TrimSpace(value), 64)
		}
	}
	if err := sc.Err(); err != nil {
		return Process{}, fmt.Errorf("bench: read %s: %w", metricsURL, err)
	}
	if p.RSS < 0 {
		return Process{}, fmt.Errorf("bench: %s has no process_resident_memory_bytes (is the Prometheus process collector registered?)", metricsURL)
	}
	return p, nil
}

// Sampler polls a server's /metrics and keeps the peak resident memory:
// the metric is the current RSS, so the peak is the largest sample (a
// spike shorter than the interval can be missed).
type Sampler struct {
	url    string
	client *http.Client
	stop   chan struct{}
	done   chan struct{}

	mu         sync.Mutex
	peak       float64
	first, cur Process
	started    time.Time
	err        error
}

// SampleEvery is the Sampler's polling interval.
const SampleEvery = 50 * time.Millisecond

// StartSampler reads metricsURL once (an error if it cannot) and then every
// SampleEvery until Stop.
func StartSampler(ctx context.Context, metricsURL string) (*Sampler, error) {
	s := &Sampler{url: metricsURL, client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}},
		stop: make(chan struct{}), done: make(chan struct{}), started: time.Now()}
	p, err := ReadProcess(ctx, s.client, metricsURL)
	if err != nil {
		return nil, err
	}
	s.first, s.cur, s.peak = p, p, p.RSS
	go s.loop(ctx)
	return s, nil
}

func (s *Sampler) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(SampleEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p, err := ReadProcess(ctx, s.client, s.url)
		s.mu.Lock()
		if err != nil {
			s.err = err
		} else {
			s.cur, s.peak = p, max(s.peak, p.RSS)
		}
		s.mu.Unlock()
	}
}

// Stop ends the sampling and returns the peak RSS in bytes and the CPU the
// server used per second of wall time (cores busy) since the start.
func (s *Sampler) Stop(ctx context.Context) (peakRSS, cores float64) {
	close(s.stop)
	<-s.done
	// One last reading, so the end of the phase is in.
	if p, err := ReadProcess(ctx, s.client, s.url); err == nil {
		s.cur, s.peak = p, max(s.peak, p.RSS)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cores = -1
	if wall := time.Since(s.started).Seconds(); wall > 0 && s.first.CPUSeconds >= 0 && s.cur.CPUSeconds >= 0 {
		cores = (s.cur.CPUSeconds - s.first.CPUSeconds) / wall
	}
	return s.peak, cores
}

// addTo adds the phase's memory and CPU rows; withTarget gives the peak
// RSS its 100 MB target.
func (s *Sampler) addTo(ctx context.Context, t *Table, phase string, withTarget bool) {
	peak, cores := s.Stop(ctx)
	if withTarget {
		t.Add(phase, "server peak RSS (/metrics, sampled)", peak, "B", "< 100 MB", ltBytes(100<<20))
	} else {
		t.Add(phase, "server peak RSS (/metrics, sampled)", peak, "B", "", nil)
	}
	if cores >= 0 {
		t.Add(phase, "server CPU (cores busy)", cores, "", "", nil)
	}
}
