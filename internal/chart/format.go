package chart

import (
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// svgWriter accumulates SVG text; every string that came from data goes
// through esc.
type svgWriter struct{ b strings.Builder }

func (w *svgWriter) printf(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

// esc escapes s for XML text and attribute values. Characters XML cannot
// hold at all (most control characters) become U+FFFD.
func esc(s string) string {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 0x20 && c < 0x7f && c != '<' && c != '>' && c != '&' && c != '\'' && c != '"'
	}
	if plain {
		return s // nothing to escape: most labels and every number
	}
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}

// num formats a coordinate with at most one decimal; NaN and infinities
// (which would make the whole SVG invalid) become 0.
func num(f float64) string {
	if !finite(f) {
		return "0"
	}
	r := math.Round(f*10) / 10
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// appendNum appends num(f) to dst without allocating.
func appendNum(dst []byte, f float64) []byte {
	if !finite(f) {
		return append(dst, '0')
	}
	r := math.Round(f*10) / 10
	if r == 0 {
		r = 0
	}
	return strconv.AppendFloat(dst, r, 'f', -1, 64)
}

// pathData builds an SVG path's d attribute: commands and coordinates.
type pathData []byte

// cmd appends a command letter and its coordinates, space separated.
func (d *pathData) cmd(c byte, coords ...float64) {
	*d = append(*d, c)
	for i, v := range coords {
		if i > 0 {
			*d = append(*d, ' ')
		}
		*d = appendNum(*d, v)
	}
}

// stepDecimals is how many decimals print a multiple of step exactly
// (0 for 5, 1 for 0.5, 2 for 0.25).
func stepDecimals(step float64) int {
	for d := 0; d < 12; d++ {
		scaled := step * math.Pow(10, float64(d))
		if math.Abs(scaled-math.Round(scaled)) < 1e-9*math.Max(1, scaled) {
			return d
		}
	}
	return 12
}

// fixed prints v with at most decimals decimals and no trailing zeros.
func fixed(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// Number prints a value for a label or tooltip: rounded to two decimals,
// without trailing zeros; non-finite values print as "–".
func Number(v float64) string {
	if !finite(v) {
		return "–"
	}
	return fixed(math.Round(v*100)/100, 2)
}

// ElapsedLabel formats a time offset compactly: 0s, 1.5s, 2m30s, 1h05m,
// 3d04h.
func ElapsedLabel(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
	case d < time.Hour:
		m := int(d / time.Minute)
		sec := int((d % time.Minute) / time.Second)
		if sec == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%02ds", m, sec)
	case d < day:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int((d%time.Hour)/time.Minute))
	default:
		return fmt.Sprintf("%dd%02dh", int(d/day), int((d%day)/time.Hour))
	}
}

// label formats a value of axis a for a tooltip.
func (a Axis) label(v float64) string {
	if a.Format != nil {
		return a.Format(v)
	}
	switch a.Scale {
	case Time:
		return FromUnix(v).In(a.loc()).Format("2006-01-02 15:04")
	case Elapsed:
		return ElapsedLabel(time.Duration(v * 1e9))
	}
	return Number(v)
}

func (a Axis) loc() *time.Location {
	if a.Location == nil {
		return time.UTC
	}
	return a.Location
}
