package chart

import (
	"math"
	"strings"
	"testing"
	"time"
)

// FuzzRender: whatever the labels and values (NaN, infinities, negative,
// huge, tiny) and whichever axis, the output is one well-formed SVG
// without a non-finite number, and the label reads back as given.
func FuzzRender(f *testing.F) {
	f.Add("p99", 1.0, 2.0, 3.0, uint8(0))
	f.Add(`<b>&"'`, math.NaN(), math.Inf(1), -1.0, uint8(1))
	f.Add("ünïcødé · –", 1e-300, 1e300, 0.0, uint8(2))
	f.Add("\x00\x1f\xff", -1e9, 5.0, math.Inf(-1), uint8(3))
	f.Fuzz(func(t *testing.T, label string, a, b, c float64, kind uint8) {
		pts := []Point{{X: 0, Y: a}, {X: 1, Y: b}, {X: 2, Y: c}}
		ch := Chart{Title: label, Desc: label, Empty: label,
			Series:     []Series{{Label: label, Points: pts, Dots: true}, {Label: label, Area: true, Stack: true, Step: kind&4 != 0, Points: pts}},
			Bars:       &Bars{Stacked: kind&8 != 0, Groups: []string{label, label, label}, Series: []Row{{Label: label, Values: []float64{a, b, c}}}},
			Thresholds: []Threshold{{Value: b, Label: label, Shade: "#fef2f2"}},
		}
		switch kind % 4 {
		case 1:
			ch.Y.Scale = Log
		case 2:
			ch.X.Scale = Time
			for i := range pts {
				ch.Series[0].Points[i].X = Unix(t0.Add(time.Duration(i) * time.Hour))
			}
		case 3:
			ch.X = Axis{Scale: Elapsed, Min: math.Min(a, 0), Max: math.Abs(b)}
		}
		out := ch.Render()
		els := parseSVG(t, out)
		// Each invalid byte and each character XML cannot hold reads back
		// as U+FFFD.
		var want strings.Builder
		for _, r := range label {
			if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF {
				want.WriteRune(r)
			} else {
				want.WriteRune('\uFFFD')
			}
		}
		if els[1].text != want.String() {
			t.Errorf("title reads back %q, want %q", els[1].text, want.String())
		}
	})
}
