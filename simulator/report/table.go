package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// WriteTable writes the final report as an aligned text table: one row per
// command and a total row, then the lateness and error lines.
func (r *Recorder) WriteTable(w io.Writer) error { return writeTable(w, r.Totals()) }

// WriteJSON writes the Summary, time series included, as indented JSON.
func (r *Recorder) WriteJSON(w io.Writer) error { return writeJSON(w, r.Summary()) }

func writeJSON(w io.Writer, s Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

var tableHeader = []string{"command", "count", "ok", "late", "timeout", "conn err", "wrong status", "consequence", "p50", "p90", "p99", "max"}

func writeTable(w io.Writer, s Summary) error {
	bw := bufio.NewWriter(w)
	rows := [][]string{tableHeader}
	for _, name := range s.Commands() {
		c := s.ByCommand[name]
		rows = append(rows, []string{name, count(c.Count), count(c.OK), count(c.Late), count(c.Timeout), count(c.ConnError), count(c.WrongStatus), count(c.Consequence),
			dur(c.P50), dur(c.P90), dur(c.P99), dur(c.Max)})
	}
	widths := make([]int, len(tableHeader))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], len(cell))
		}
	}
	fmt.Fprintf(bw, "%s: %s requests in %s (%s/s), budget %s\n", safeLine(s.Target), count(s.Total), dur(s.Duration()), strconv.FormatFloat(s.Rate(), 'f', 1, 64), dur(s.Budget))
	for i, row := range rows {
		if i == len(rows)-1 && len(rows) > 2 {
			writeRule(bw, widths)
		}
		for j, cell := range row {
			if j == 0 {
				fmt.Fprintf(bw, "%-*s", widths[j], cell)
			} else {
				fmt.Fprintf(bw, "  %*s", widths[j], cell)
			}
		}
		fmt.Fprintln(bw)
		if i == 0 {
			writeRule(bw, widths)
		}
	}
	l := s.Lateness
	fmt.Fprintf(bw, "send lateness: p50 %s, p99 %s, max %s; late sends (%s or more behind schedule): %s\n", dur(l.P50), dur(l.P99), dur(l.Max), dur(l.Threshold), count(l.LateSends))
	fmt.Fprintf(bw, "errors: %s independent, %s consequences of earlier failures\n", count(s.Errors), count(s.Consequences))
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

func writeRule(w *bufio.Writer, widths []int) {
	n := 0
	for _, x := range widths {
		n += x + 2
	}
	// bufio errors are sticky: Flush reports them.
	fmt.Fprintln(w, strings.Repeat("-", n-2))
}

// count formats an integer with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// dur formats a duration compactly with three significant digits.
func dur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64) + "ms"
	case d < 10*time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
	case d < 100*time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + "ms"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 0, 64) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	default:
		return d.Round(time.Second).String()
	}
}

// safeLine replaces line breaks and other control characters so that one
// value can never break a line-oriented output.
func safeLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
