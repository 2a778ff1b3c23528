package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/minitwit-cd/kit/internal/timefmt"
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
		s += " \u2022 " + timefmt.Ago(now, t)
	}
	return s
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
