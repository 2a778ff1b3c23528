package web

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/minitwit-cd/kit/internal/chart"
)

func TestMetricFormats(t *testing.T) {
	tests := []struct{ got, want string }{
		{humanDuration(0), "0m"},
		{humanDuration(45 * time.Second), "45s"},
		{humanDuration(20 * time.Minute), "20m"},
		{humanDuration(150 * time.Minute), "2h 30m"},
		{humanDuration(50 * time.Hour), "2d 2h"},
		{frequency(0), "none"},
		{frequency(math.NaN()), "none"},
		{frequency(2), "2.0 / day"},
		{frequency(3.0 / 7), "3.0 / week"},
		{frequency(0.1), "3.0 / month"},
		{shortCommit("16d9990ad23a"), "16d9990"},
		{shortCommit("abc"), "abc"},
		{shortFingerprint("0123456789abcdef"), "0123456789ab…"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	tests := map[string]string{
		"/ui/acme":                "/ui/acme",
		"/ui/acme/flows/x?page=2": "/ui/acme/flows/x?page=2",
		"":                        "/ui/acme",
		"https://evil.example":    "/ui/acme",
		"//evil.example/ui/acme":  "/ui/acme",
		"/ui/acme-evil":           "/ui/acme",
		"/ui/acme/login":          "/ui/acme",
		"/ui/acme/\\evil":         "/ui/acme",
	}
	for in, want := range tests {
		if got := safeNext("acme", in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScaleLeadTimes(t *testing.T) {
	tests := []struct {
		longest float64 // seconds
		unit    string
		scaled  float64
	}{
		{0, "seconds", 0},
		{90, "seconds", 90},
		{600, "minutes", 10},
		{5 * 3600, "hours", 5},
		{3 * 24 * 3600, "days", 3},
	}
	for _, tc := range tests {
		t.Run(tc.unit, func(t *testing.T) {
			l := chart.Lines{Lines: []chart.Line{{Label: "env", Points: []chart.TimePoint{{V: tc.longest}}}}}
			scaleLeadTimes(&l)
			if l.Unit != tc.unit || math.Abs(l.Lines[0].Points[0].V-tc.scaled) > 1e-9 {
				t.Fatalf("%v s → %v %s, want %v %s", tc.longest, l.Lines[0].Points[0].V, l.Unit, tc.scaled, tc.unit)
			}
		})
	}
}

func TestCapBands(t *testing.T) {
	s := chart.Steps{Times: make([]time.Time, 2)}
	for i := range 20 {
		// Band i peaks at i replicas; the four smallest are merged.
		s.Series = append(s.Series, chart.Row{Label: fmt.Sprint("a", i), Values: []float64{float64(i), 1}})
	}
	capBands(&s, 17)
	if len(s.Series) != 17 {
		t.Fatalf("%d bands, want 17", len(s.Series))
	}
	if s.Series[0].Label != "a4" || s.Series[15].Label != "a19" {
		t.Errorf("kept %q..%q, want a4..a19 in their order", s.Series[0].Label, s.Series[15].Label)
	}
	last := s.Series[16]
	if last.Label != "4 more artifacts" || last.Values[0] != 0+1+2+3 || last.Values[1] != 4 {
		t.Errorf("merged band %+v, want 4 more artifacts with 6 then 4", last)
	}
	small := chart.Steps{Series: []chart.Row{{Label: "x"}}}
	capBands(&small, 16)
	if len(small.Series) != 1 {
		t.Errorf("a small chart was changed")
	}
}
