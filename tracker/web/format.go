package web

import (
	"fmt"
	"html/template"
	"math"
	"time"

	"github.com/minitwit-cd/kit/internal/timefmt"
)

// timeLayout is the spec's time format (the CLI's), shown in UTC because a
// server cannot know the reader's zone.
const timeLayout = "Mon, 02 Jan 2006 15:04:05 MST"

func (h *handler) funcs() template.FuncMap {
	return template.FuncMap{
		"orgURL": orgURL,
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "unknown"
			}
			return t.UTC().Format(timeLayout)
		},
		"ago":   func(t time.Time) string { return timefmt.Ago(h.now(), t) },
		"short": shortFingerprint,
		"section": func(class, title string, entries []diffEntry, scaling bool) diffSection {
			return diffSection{Class: class, Title: title, Entries: entries, Scaling: scaling}
		},
	}
}

// shortFingerprint is the first 12 hex digits: enough to tell artifacts
// apart on a page, with the full one in the tooltip.
func shortFingerprint(fp string) string {
	if len(fp) > 12 {
		return fp[:12] + "…"
	}
	return fp
}

// shortCommit is the 7-character commit the spec's tables show.
func shortCommit(c string) string {
	if len(c) > 7 {
		return c[:7]
	}
	return c
}

// humanDuration formats a metric's duration compactly ("3h 20m", "2d 4h").
func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0m"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	days := int(d.Hours()) / 24
	return fmt.Sprintf("%dd %dh", days, int(d.Hours())%24)
}

// frequency formats deployments per day the way people say it.
func frequency(perDay float64) string {
	switch {
	case perDay <= 0 || math.IsNaN(perDay):
		return "none"
	case perDay >= 1:
		return fmt.Sprintf("%.1f / day", perDay)
	case perDay*7 >= 1:
		return fmt.Sprintf("%.1f / week", perDay*7)
	}
	return fmt.Sprintf("%.1f / month", perDay*30)
}
