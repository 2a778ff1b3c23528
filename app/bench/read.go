package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/minitwit-cd/kit/simulator/scenario"
)

// readPhase asks GET /msgs?no=100 as fast as a few keep-alive clients can
// (a closed model: each worker sends its next request when the last one
// answered) and reports the throughput.
func readPhase(ctx context.Context, u *ui, opts options, srv *server, rep *report) error {
	tgt := vegeta.Target{
		Method: http.MethodGet,
		URL:    srv.url + "/msgs?no=100",
		Header: http.Header{"Authorization": {scenario.Authorization}},
	}
	workers := uint64(opts.ReadWorkers)
	atk := vegeta.NewAttacker(
		vegeta.Timeout(10*time.Second),
		vegeta.KeepAlive(true),
		vegeta.Workers(workers),
		vegeta.MaxWorkers(workers),
		vegeta.Connections(opts.ReadWorkers),
		// Read every body (the client's share of the work), keep none.
		vegeta.MaxBody(0),
		vegeta.Proxy(nil),
	)
	b := u.bar(int64(opts.ReadFor/time.Second), fmt.Sprintf("GET /msgs?no=100 at maximum rate, %d workers, %s", workers, opts.ReadFor))
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	lat := newLatencies()
	ch := newCharts(opts.HTML, "read", srv.url)
	var bad int64
	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	results := atk.Attack(vegeta.NewStaticTargeter(tgt), vegeta.Rate{Freq: 0}, opts.ReadFor, "read")
loop:
	for {
		select {
		case res, ok := <-results:
			if !ok {
				break loop
			}
			lat.record(res.Latency)
			ch.add("get-msgs", res.Timestamp, res.Latency, int(res.Code), res.Code == http.StatusOK)
			if res.Code != http.StatusOK {
				bad++
			}
		case <-tick.C:
			b.set(int64(time.Since(start) / time.Second))
		}
	}
	elapsed := time.Since(start)
	b.finish()
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := srv.alive(); err != nil {
		return err
	}
	if p, err := ch.write(); err != nil {
		return err
	} else if p != "" {
		u.logf("charts: %s", p)
	}
	rep.add("read", "requests", float64(lat.count()), "", "", nil)
	rep.add("read", "throughput", float64(lat.count())/elapsed.Seconds(), "/s", ">= 5000/s", atLeast(5000))
	rep.add("read", "p50 latency", lat.quantile(50), "s", "", nil)
	rep.add("read", "p99 latency", lat.quantile(99), "s", "", nil)
	rep.add("read", "non-200 answers", float64(bad), "", "0", isZero)
	return nil
}
