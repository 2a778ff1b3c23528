package replay

import (
	"time"

	"golang.org/x/sys/unix"
)

// preciseSleep blocks the calling thread in nanosleep(2), which the kernel
// serves from a high-resolution timer (tens of microseconds of slack),
// where the runtime's own timers have millisecond resolution. It is only
// used for the last couple of milliseconds before a send.
func preciseSleep(d time.Duration) {
	ts := unix.NsecToTimespec(d.Nanoseconds())
	for {
		// On EINTR, nanosleep leaves the remaining time in ts.
		if err := unix.Nanosleep(&ts, &ts); err != unix.EINTR {
			return
		}
	}
}
