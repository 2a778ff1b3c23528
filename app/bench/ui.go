package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// ui writes progress to stderr: bars on a terminal, plain lines otherwise.
type ui struct {
	w    io.Writer
	bars bool
}

func (u *ui) logf(format string, args ...any) {
	fmt.Fprintf(u.w, "bench: "+format+"\n", args...)
}

// bar is a progress bar, or nothing when bars are off.
type bar struct{ pb *progressbar.ProgressBar }

// bar starts a progress bar over total units.
func (u *ui) bar(total int64, what string) *bar {
	u.logf("%s", what)
	if !u.bars {
		return &bar{}
	}
	return &bar{pb: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(u.w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)}
}

func (b *bar) set(n int64) {
	if b.pb != nil {
		_ = b.pb.Set64(n)
	}
}

func (b *bar) add(n int) {
	if b.pb != nil {
		_ = b.pb.Add(n)
	}
}

func (b *bar) finish() {
	if b.pb != nil {
		_ = b.pb.Finish()
	}
}
