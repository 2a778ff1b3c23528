package replay

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/minitwit-cd/kit/internal/simreport"
)

// Resume is a replay's resume point and the actions acknowledged above it
// (see simreport.Resume): Stats.Resume after a replay, WithResume to pick
// up where one stopped.
type Resume = simreport.Resume

// ackLog computes the resume point while a replay runs: every action read
// from the source gets a sequence number in file order, and the point is
// the ID of the last action of the longest prefix whose every action is
// done (acknowledged by an HTTP answer, or skipped as done before). Done
// actions above that prefix are kept as runs of consecutive sequence
// numbers, so memory grows with the number of gaps (requests in flight,
// failures), not with the scenario.
type ackLog struct {
	mu    sync.Mutex
	next  int64 // sequence number of the first action not known done
	point int64 // ID of the action just before next; -1 when none
	above []ackRun
}

// ackRun is a run of done actions: sequence numbers lo..hi, IDs first..last.
type ackRun struct{ lo, hi, first, last int64 }

func newAckLog() *ackLog { return &ackLog{point: -1} }

// done records that the action with sequence number seq and ID id needs no
// resending.
func (l *ackLog) done(seq, id int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if seq < l.next {
		return
	}
	if seq == l.next {
		l.point, l.next = id, seq+1
		for len(l.above) > 0 && l.above[0].lo == l.next {
			l.point, l.next = l.above[0].last, l.above[0].hi+1
			l.above = l.above[1:]
		}
		return
	}
	i, _ := slices.BinarySearchFunc(l.above, seq, func(r ackRun, seq int64) int {
		switch {
		case r.hi < seq:
			return -1
		case r.lo > seq:
			return 1
		}
		return 0
	})
	if i < len(l.above) && l.above[i].lo <= seq {
		return // already recorded
	}
	left := i > 0 && l.above[i-1].hi+1 == seq
	right := i < len(l.above) && l.above[i].lo == seq+1
	switch {
	case left && right:
		l.above[i-1].hi, l.above[i-1].last = l.above[i].hi, l.above[i].last
		l.above = slices.Delete(l.above, i, i+1)
	case left:
		l.above[i-1].hi, l.above[i-1].last = seq, id
	case right:
		l.above[i].lo, l.above[i].first = seq, id
	default:
		l.above = slices.Insert(l.above, i, ackRun{lo: seq, hi: seq, first: id, last: id})
	}
}

// resume returns the point and the acknowledged ID ranges above it.
func (l *ackLog) resume() Resume {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := Resume{Point: l.point, Acked: make([]simreport.Range, 0, len(l.above))}
	for _, a := range l.above {
		r.Acked = append(r.Acked, simreport.Range{First: a.first, Last: a.last})
	}
	return r
}

// PinLatest makes the target's /latest say id, with a read-only request
// that carries it (GET /msgs?no=1&latest=ID: the API records latest on
// every endpoint but GET /latest), and reads it back. After an interrupted
// concurrent replay /latest is whichever request the target processed
// last; pinning it to the resume point lets `--from-latest` (and the
// course's instructors, who resume from /latest) pick up exactly there.
func (e *Engine) PinLatest(ctx context.Context, id int64) error {
	var msgs []struct{}
	if err := e.getJSON(ctx, "/msgs?no=1&latest="+strconv.FormatInt(id, 10), verifyTimeout, &msgs); err != nil {
		return fmt.Errorf("pin /latest to %d: %w", id, err)
	}
	got, err := e.getLatest(ctx)
	if err != nil {
		return fmt.Errorf("pin /latest to %d: read back: %w", id, err)
	}
	if got != id {
		return fmt.Errorf("pin /latest to %d: the target says %d (does it record latest on GET /msgs?)", id, got)
	}
	return nil
}
