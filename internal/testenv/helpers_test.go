package testenv

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	c := NewClock(t0)
	if got := c.Advance(time.Minute); !got.Equal(t0.Add(time.Minute)) || !c.Now().Equal(got) {
		t.Errorf("Advance: %v, Now %v", got, c.Now())
	}
	c.Set(t0)
	if !c.Now().Equal(t0) {
		t.Errorf("Set: %v", c.Now())
	}
}

func TestGoldenMatches(t *testing.T) {
	Golden(t, "golden.txt", []byte("a golden file\n"))
}
