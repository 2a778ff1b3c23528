package cmd

import "time"

// SetClock replaces the clock of the --compat error lines until the
// returned function restores it.
func SetClock(now func() time.Time) (restore func()) {
	old := clock
	clock = now
	return func() { clock = old }
}
