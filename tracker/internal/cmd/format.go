package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// TimeLayout is how the CLI prints a time: Kosli's
// "Mon, 22 Aug 2022 11:35:00 CEST".
const TimeLayout = "Mon, 02 Jan 2006 15:04:05 MST"

// formatTime prints t in loc, followed by " • 15 days ago" when withAgo.
func formatTime(t, now time.Time, loc *time.Location, withAgo bool) string {
	if t.IsZero() {
		return "N/A"
	}
	s := t.In(loc).Format(TimeLayout)
	if withAgo {
		s += " \u2022 " + ago(t, now)
	}
	return s
}

// ago says how long before now t was, in the largest unit that fits,
// rounded the way people say it ("15 days ago", "about an hour ago").
func ago(t, now time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		return "in the future"
	}
	const day = 24 * time.Hour
	unit := func(n int64, one, many string) string {
		if n <= 1 {
			return one + " ago"
		}
		return fmt.Sprintf("%d %s ago", n, many)
	}
	switch {
	case d < 45*time.Second:
		return unit(int64(d/time.Second), "one second", "seconds")
	case d < 45*time.Minute:
		return unit(int64((d+30*time.Second)/time.Minute), "one minute", "minutes")
	case d < 22*time.Hour:
		return unit(int64((d+30*time.Minute)/time.Hour), "about an hour", "hours")
	case d < 30*day:
		return unit(int64((d+12*time.Hour)/day), "one day", "days")
	case d < 365*day:
		return unit(int64((d+15*day)/(30*day)), "one month", "months")
	}
	return unit(int64((d+182*day)/(365*day)), "one year", "years")
}

// table writes tab-separated rows aligned with two spaces between columns,
// like Kosli's CLI. A nil header prints rows only. Trailing blanks are cut
// so output (and golden files) has no invisible whitespace.
func table(out io.Writer, header []string, rows []string) error {
	var buf bytes.Buffer
	w := tabwriter.NewWriter(&buf, 5, 12, 2, ' ', 0)
	if len(header) > 0 {
		fmt.Fprintln(w, strings.Join(header, "\t"))
	}
	for _, r := range rows {
		fmt.Fprintln(w, r)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line == "" {
			continue
		}
		if _, err := io.WriteString(out, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// printJSON writes v indented, the --output json form.
func printJSON(out io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	_, err = fmt.Fprintf(out, "%s\n", b)
	return err
}

// short returns the first n characters of s (commits, fingerprints).
func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// orNA prints missing values the way Kosli does.
func orNA(s string) string {
	if s == "" {
		return "N/A"
	}
	return s
}
