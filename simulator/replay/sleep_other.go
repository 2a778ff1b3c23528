//go:build !linux

package replay

import "time"

// preciseSleep falls back to the runtime's timer where nanosleep(2) is not
// wired up; pacing is then as precise as time.Sleep.
func preciseSleep(d time.Duration) { time.Sleep(d) }
