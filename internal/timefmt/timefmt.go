// Package timefmt formats times the way the kit's people read them: how
// long ago, in the words Kosli's CLI uses, for the tracker's CLI and web
// pages and the fleet's dashboard alike.
package timefmt

import (
	"fmt"
	"time"
)

// Ago says how long before now t was, in the largest unit that fits,
// rounded the way people say it ("15 days ago", "about an hour ago"), as
// Kosli's CLI prints it. A zero t is "unknown"; one after now is "in the
// future".
func Ago(now, t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
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
