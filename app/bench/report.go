package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"text/tabwriter"
	"time"
)

// row is one measured number.
type row struct {
	Phase  string  `json:"phase"`
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	// Unit is "s" (seconds), "B" (bytes), "/s" or "" (a count).
	Unit   string `json:"unit"`
	Target string `json:"target,omitempty"`
	// Met is nil when the number has no target.
	Met *bool `json:"met,omitempty"`
}

// report collects the rows of all phases.
type report struct {
	Settings map[string]string `json:"settings"`
	Rows     []row             `json:"rows"`
}

// add appends a row; check, when not nil, decides whether the target is met.
func (r *report) add(phase, metric string, value float64, unit, target string, check func(float64) bool) {
	rw := row{Phase: phase, Metric: metric, Value: value, Unit: unit, Target: target}
	if check != nil {
		met := check(value)
		rw.Met = &met
	}
	r.Rows = append(r.Rows, rw)
}

func ltSeconds(limit time.Duration) func(float64) bool {
	return func(v float64) bool { return v >= 0 && v < limit.Seconds() }
}
func ltBytes(limit float64) func(float64) bool {
	return func(v float64) bool { return v >= 0 && v < limit }
}
func atLeast(limit float64) func(float64) bool { return func(v float64) bool { return v >= limit } }
func isZero(v float64) bool                    { return v == 0 }

// format renders a value in its unit.
func format(v float64, unit string) string {
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

func (r *report) writeTable(w io.Writer) error {
	keys := make([]string, 0, len(r.Settings))
	for k := range r.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s: %s\n", k, r.Settings[k])
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tMETRIC\tVALUE\tTARGET\tMET")
	for _, rw := range r.Rows {
		met := ""
		if rw.Met != nil {
			met = "no"
			if *rw.Met {
				met = "yes"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", rw.Phase, rw.Metric, format(rw.Value, rw.Unit), rw.Target, met)
	}
	return tw.Flush()
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
