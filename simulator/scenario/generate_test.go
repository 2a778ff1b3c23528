package scenario_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/minitwit-cd/kit/simulator/scenario"
)

func TestGenerateIsValidAndCausal(t *testing.T) {
	cfg := scenario.GenerateConfig{Users: 400, Actions: 20000, Seed: 7}
	var buf bytes.Buffer
	if err := scenario.Generate(&buf, cfg); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := scenario.Generate(&again, cfg); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Fatal("same seed wrote different scenarios")
	}
	r := scenario.NewReader(&buf)
	registered := map[string]bool{}
	follows := map[[2]string]bool{}
	counts := map[scenario.Command]int{}
	var n int64
	prevTS := int64(0)
	for {
		a, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if a.ID != n {
			t.Fatalf("id %d at position %d", a.ID, n)
		}
		if a.Timestamp < prevTS || (n > 0 && a.Timestamp-prevTS != a.Delay) {
			t.Fatalf("line %d: timestamp %d does not follow %d by delay %d", a.Line, a.Timestamp, prevTS, a.Delay)
		}
		prevTS = a.Timestamp
		n++
		counts[a.Command]++
		switch a.Command {
		case scenario.Register:
			if registered[a.User] {
				t.Fatalf("line %d: %q registers twice", a.Line, a.User)
			}
			registered[a.User] = true
			continue
		}
		if !registered[a.User] {
			t.Fatalf("line %d: %s by unregistered %q", a.Line, a.Command, a.User)
		}
		p := [2]string{a.User, a.Arg}
		switch a.Command {
		case scenario.Follow:
			if !registered[a.Arg] || follows[p] || a.Arg == a.User {
				t.Fatalf("line %d: invalid follow %v", a.Line, p)
			}
			follows[p] = true
		case scenario.Unfollow:
			if !follows[p] {
				t.Fatalf("line %d: unfollow without follow %v", a.Line, p)
			}
			delete(follows, p)
		}
	}
	if n != cfg.Actions || counts[scenario.Register] != cfg.Users {
		t.Fatalf("%d actions, %d registers", n, counts[scenario.Register])
	}
	// The course's proportions among the non-register actions, within a
	// few points: 44% tweets, 38% follows, 18% unfollows.
	rest := float64(n) - float64(cfg.Users)
	for c, want := range map[scenario.Command]float64{scenario.Tweet: 0.44, scenario.Follow: 0.38, scenario.Unfollow: 0.18} {
		got := float64(counts[c]) / rest
		if got < want-0.04 || got > want+0.04 {
			t.Errorf("%s share %.3f, want about %.2f", c, got, want)
		}
	}
}

func TestGenerateRejectsBadSizes(t *testing.T) {
	for _, cfg := range []scenario.GenerateConfig{{Users: 1, Actions: 10}, {Users: 10, Actions: 5}} {
		if err := scenario.Generate(io.Discard, cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if err := scenario.Generate(io.Discard, scenario.GenerateConfig{Users: 1000, Actions: 100000, Seed: uint64(i)}); err != nil {
			b.Fatal(err)
		}
	}
}
