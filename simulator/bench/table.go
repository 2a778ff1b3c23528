// Package bench measures a MiniTwit through the simulator's engine: the
// course replay one action at a time with Connection: close, open-model
// mixed traffic (the scenario's writes and the reads dashboards make),
// GET /msgs?no=100 at the maximum rate a few keep-alive clients reach, and
// the server's peak memory and CPU, read from its /metrics (the Prometheus
// process collector's process_resident_memory_bytes and
// process_cpu_seconds_total). Each phase adds rows to a Table, each number
// next to its target. Server starts a MiniTwit binary (and seeds its
// database with `minitwit seed`) for a whole run on one machine.
//
// The package never logs or exits: progress goes to a callback, results to
// the Table.
package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"text/tabwriter"
	"time"
)

// Row is one measured number.
type Row struct {
	Phase  string  `json:"phase"`
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	// Unit is "s" (seconds), "B" (bytes), "/s" or "" (a count).
	Unit   string `json:"unit"`
	Target string `json:"target,omitempty"`
	// Met is nil when the number has no target.
	Met *bool `json:"met,omitempty"`
}

// Table collects the rows of all phases and the settings they ran with.
type Table struct {
	Settings map[string]string `json:"settings"`
	Rows     []Row             `json:"rows"`
}

// Add appends a row; check, when not nil, decides whether the target is met.
func (t *Table) Add(phase, metric string, value float64, unit, target string, check func(float64) bool) {
	r := Row{Phase: phase, Metric: metric, Value: value, Unit: unit, Target: target}
	if check != nil {
		met := check(value)
		r.Met = &met
	}
	t.Rows = append(t.Rows, r)
}

// Set records a setting printed above the table.
func (t *Table) Set(key, value string) {
	if t.Settings == nil {
		t.Settings = map[string]string{}
	}
	t.Settings[key] = value
}

// Find returns the value of the first row of phase whose metric is metric.
func (t *Table) Find(phase, metric string) (float64, bool) {
	for _, r := range t.Rows {
		if r.Phase == phase && r.Metric == metric {
			return r.Value, true
		}
	}
	return 0, false
}

func ltSeconds(limit time.Duration) func(float64) bool {
	return func(v float64) bool { return v >= 0 && v < limit.Seconds() }
}
func ltBytes(limit float64) func(float64) bool {
	return func(v float64) bool { return v >= 0 && v < limit }
}
func atLeast(limit float64) func(float64) bool { return func(v float64) bool { return v >= limit } }
func isZero(v float64) bool                    { return v == 0 }

// Format renders a value in its unit.
func Format(v float64, unit string) string {
	switch {
	case v < 0:
		return "n/a"
	case unit == "s":
		d := time.Duration(v * float64(time.Second))
		switch {
		case d < time.Millisecond:
			return fmt.Sprintf("%.0f µs", v*1e6)
		case d < time.Second:
			return fmt.Sprintf("%.2f ms", v*1e3)
		default:
			return fmt.Sprintf("%.2f s", v)
		}
	case unit == "B":
		return fmt.Sprintf("%.1f MB", v/(1<<20))
	case unit == "/s":
		return fmt.Sprintf("%.0f/s", v)
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// WriteTable prints the settings and the rows as an aligned table.
func (t *Table) WriteTable(w io.Writer) error {
	keys := make([]string, 0, len(t.Settings))
	for k := range t.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s: %s\n", k, t.Settings[k])
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tMETRIC\tVALUE\tTARGET\tMET")
	for _, r := range t.Rows {
		met := ""
		if r.Met != nil {
			met = "no"
			if *r.Met {
				met = "yes"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Phase, r.Metric, Format(r.Value, r.Unit), r.Target, met)
	}
	return tw.Flush()
}

// WriteJSON prints the table as indented JSON.
func (t *Table) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}
