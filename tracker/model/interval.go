package model

import (
	"strconv"
	"strings"
)

// ParseInterval reads Kosli's snapshot interval, "[EXPR]..[EXPR]" or a
// single EXPR, where EXPR is N (snapshot N), ~N (N before the latest) or
// NOW (the latest); a side left out is NOW. It returns the inclusive range
// of indexes of an environment whose latest snapshot is latest. "" is every
// snapshot (1..latest). A range that ends before it starts, or an index
// out of 1..latest, is EINVALID naming it.
func ParseInterval(s string, latest int) (from, to int, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 1, latest, nil
	}
	left, right, isRange := strings.Cut(s, "..")
	if !isRange {
		right = left
	}
	if from, err = intervalIndex(left, latest); err != nil {
		return 0, 0, err
	}
	if to, err = intervalIndex(right, latest); err != nil {
		return 0, 0, err
	}
	if from > to {
		return 0, 0, Errorf(EINVALID, "interval %q: snapshot %d comes after %d", s, from, to)
	}
	return from, to, nil
}

func intervalIndex(e string, latest int) (int, error) {
	e = strings.TrimSpace(e)
	if e == "" || strings.EqualFold(e, "NOW") {
		return latest, nil
	}
	back := strings.HasPrefix(e, "~")
	n, err := strconv.Atoi(strings.TrimPrefix(e, "~"))
	if err != nil || n < 0 {
		return 0, Errorf(EINVALID, "interval: %q is not N, ~N or NOW", e)
	}
	if back {
		n = latest - n
	}
	if n < 1 || n > latest {
		return 0, Errorf(EINVALID, "interval: %q is not a snapshot: there are %d", e, latest)
	}
	return n, nil
}
