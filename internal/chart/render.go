package chart

import (
	"math"
	"strings"
)

// layout is a chart's geometry, worked out once before drawing.
type layout struct {
	width, height float64
	left, top     float64
	plotW, plotH  float64
	legendY       float64
	entries       []Entry
	x, y          scale
	xTicks        []Tick
	yTicks        []Tick
	slots         int
	hasData       bool
	// stacks[i][j] is the top of area series i at point j (its own value
	// when it is not stacked); bases[i][j] is its bottom.
	stacks, bases [][]float64
}

func (c Chart) layout() layout {
	l := layout{width: c.Width, plotH: c.PlotHeight}
	if l.width <= 0 {
		l.width = 880
	}
	if l.plotH <= 0 {
		l.plotH = 200
	}
	m := c.Margin
	d := DefaultMargin
	if m.Left == 0 {
		m.Left = d.Left
	}
	if m.Right == 0 {
		m.Right = d.Right
	}
	if m.Top == 0 {
		m.Top = d.Top
	}
	if m.Bottom == 0 {
		m.Bottom = d.Bottom
	}
	l.left, l.top, l.plotW = m.Left, m.Top, l.width-m.Left-m.Right
	l.entries = c.legendEntries()
	rows := 0
	if c.LegendAt != Hidden {
		rows = legendRows(l.entries, l.left, l.width-m.Right)
	}
	switch {
	case c.LegendAt == Above && rows > 0:
		l.legendY = 8
		l.top += float64(rows) * legendRow
		l.height = l.top + l.plotH + m.Bottom
	case c.LegendAt == Below && rows > 0:
		l.legendY = l.top + l.plotH + m.Bottom - 8
		l.height = l.top + l.plotH + m.Bottom + float64(rows)*legendRow + 8
	default:
		l.height = l.top + l.plotH + m.Bottom
	}
	c.stackAreas(&l)
	l.hasData = c.hasData()
	c.layoutX(&l)
	c.layoutY(&l)
	return l
}

// stackAreas works out the top and bottom of every area at each point.
func (c Chart) stackAreas(l *layout) {
	l.stacks = make([][]float64, len(c.Series))
	l.bases = make([][]float64, len(c.Series))
	prev := -1
	for i, s := range c.Series {
		if !s.Area {
			continue
		}
		top := make([]float64, len(s.Points))
		base := make([]float64, len(s.Points))
		for j, p := range s.Points {
			v := p.Y
			if !finite(v) || v < 0 {
				v = 0
			}
			if s.Stack && prev >= 0 && j < len(l.stacks[prev]) {
				base[j] = l.stacks[prev][j]
			}
			top[j] = base[j] + v
		}
		l.stacks[i], l.bases[i] = top, base
		if s.Stack {
			prev = i
		}
	}
}

// hasData reports whether anything would be drawn: a finite point of a
// series, or a non-zero bar.
func (c Chart) hasData() bool {
	for _, s := range c.Series {
		for _, p := range s.Points {
			if finite(p.Y) && finite(p.X) {
				return true
			}
		}
	}
	if c.Bars != nil {
		for _, s := range c.Bars.Series {
			for _, v := range s.Values {
				if finite(v) && v > 0 {
					return true
				}
			}
		}
	}
	return false
}

// slotCount is the number of bar slots.
func (b *Bars) slotCount() int {
	if b == nil {
		return 0
	}
	if len(b.Groups) > 0 {
		return len(b.Groups)
	}
	if b.Slots > 0 {
		return b.Slots
	}
	n := 0
	for _, s := range b.Series {
		n = max(n, len(s.Values))
	}
	return n
}

func (c Chart) layoutX(l *layout) {
	l.slots = c.Bars.slotCount()
	lo, hi := c.X.Min, c.X.Max
	if !(hi > lo) {
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, s := range c.Series {
			for _, p := range s.Points {
				if finite(p.X) {
					lo, hi = math.Min(lo, p.X), math.Max(hi, p.X)
				}
			}
			if s.Step && finite(s.End) && len(s.Points) > 0 {
				hi = math.Max(hi, s.End)
			}
		}
		if lo > hi {
			if l.slots == 0 {
				// No data and no range: nothing for ticks to measure.
				l.x = scale{kind: Linear, lo: 0, hi: 1, from: l.left, to: l.left + l.plotW}
				l.xTicks = c.X.Ticks
				return
			}
			lo, hi = 0, float64(l.slots)
		}
		if hi <= lo {
			hi = lo + 1
		}
	}
	l.x = scale{kind: Linear, lo: lo, hi: hi, from: l.left, to: l.left + l.plotW}
	if len(c.X.Ticks) > 0 {
		l.xTicks = c.X.Ticks
		return
	}
	switch c.X.Scale {
	case Time:
		ticks, layout := timeTicks(FromUnix(lo), FromUnix(hi), l.plotW, c.X.loc())
		for _, t := range ticks {
			label := t.In(c.X.loc()).Format(layout)
			if c.X.Format != nil {
				label = c.X.Format(Unix(t))
			}
			l.xTicks = append(l.xTicks, Tick{At: Unix(t), Label: label})
		}
	case Elapsed:
		l.xTicks = elapsedTicks(lo, hi, l.plotW)
		if c.X.Format != nil {
			for i := range l.xTicks {
				l.xTicks[i].Label = c.X.Format(l.xTicks[i].At)
			}
		}
	default:
		if c.Bars != nil && len(c.Bars.Groups) > 0 {
			return // the groups label the slots
		}
		l.xTicks = spanTicks(lo, hi, c.X.Format)
	}
}

func (c Chart) layoutY(l *layout) {
	lo, hi := c.Y.Min, c.Y.Max
	// A log axis may be fixed to one value (widened to its decade).
	fixed := hi > lo || c.Y.Scale == Log && lo > 0 && hi == lo
	if !fixed {
		lo, hi = math.Inf(1), 0
		see := func(v float64) {
			if !finite(v) {
				return
			}
			if v > 0 {
				lo = math.Min(lo, v)
			}
			hi = math.Max(hi, v)
		}
		for i, s := range c.Series {
			if s.Area {
				for _, v := range l.stacks[i] {
					see(v)
				}
				continue
			}
			for _, p := range s.Points {
				see(p.Y)
			}
		}
		if b := c.Bars; b != nil {
			for j := 0; j < l.slots; j++ {
				sum := 0.0
				for _, s := range b.Series {
					if j < len(s.Values) && finite(s.Values[j]) && s.Values[j] > 0 {
						if b.Stacked {
							sum += s.Values[j]
						} else {
							see(s.Values[j])
						}
					}
				}
				see(sum)
			}
		}
		for _, t := range c.Thresholds {
			see(t.Value)
		}
	}
	bottom := l.top + l.plotH
	if c.Y.Scale == Log {
		e0, e1 := logRange(lo, hi)
		l.y = scale{kind: Log, lo: e0, hi: e1, from: bottom, to: l.top}
		format := c.Y.Format
		if format == nil {
			format = Number
		}
		l.yTicks = logTicks(e0, e1, format)
	} else {
		top, step := niceMax(hi, c.Y.Integer)
		l.y = scale{kind: Linear, lo: 0, hi: top, from: bottom, to: l.top}
		l.yTicks = linearTicks(top, step, c.Y.Format)
	}
	if len(c.Y.Ticks) > 0 {
		l.yTicks = c.Y.Ticks
	}
}

// legendEntries is the legend's content: the explicit one, or one entry
// per labelled series, bar series and threshold.
func (c Chart) legendEntries() []Entry {
	if c.Legend != nil {
		return c.Legend
	}
	var out []Entry
	for i, s := range c.Series {
		if s.Label != "" {
			out = append(out, Entry{Label: s.Label, Color: s.color(i)})
		}
	}
	if c.Bars != nil {
		for i, s := range c.Bars.Series {
			if s.Label != "" {
				out = append(out, Entry{Label: s.Label, Color: s.color(i)})
			}
		}
	}
	for _, t := range c.Thresholds {
		if t.Label != "" {
			out = append(out, Entry{Label: t.Label, Color: t.color(), Dash: "6 4"})
		}
	}
	return out
}

func (s Series) color(i int) string {
	if s.Color != "" {
		return s.Color
	}
	return Color(i)
}

func (s Row) color(i int) string {
	if s.Color != "" {
		return s.Color
	}
	return Color(i)
}

func (t Threshold) color() string {
	if t.Color != "" {
		return t.Color
	}
	return colRed
}

func (w *svgWriter) open(c Chart, l layout) {
	w.printf(`<svg class="%s" xmlns="http://www.w3.org/2000/svg"%s viewBox="0 0 %s %s" width="100%%" role="img" aria-label="%s">`,
		esc(strings.TrimSpace("chart "+c.Class)), idAttr(c.ID), num(l.width), num(l.height), esc(c.Title))
	w.printf(`<title>%s</title>`, esc(c.Title))
	if c.Desc != "" {
		w.printf(`<desc>%s</desc>`, esc(c.Desc))
	}
}

// bands shades the plot above each threshold that has a Shade.
func (w *svgWriter) bands(c Chart, l layout) {
	for _, t := range c.Thresholds {
		if t.Shade == "" || !finite(t.Value) {
			continue
		}
		y := l.y.pos(t.Value)
		w.printf(`<rect class="band" x="%s" y="%s" width="%s" height="%s" fill="%s"/>`,
			num(l.left), num(l.top), num(l.plotW), num(y-l.top), esc(t.Shade))
	}
}

func (w *svgWriter) yAxis(c Chart, l layout) {
	right := l.left + l.plotW
	for _, t := range l.yTicks {
		y := l.y.pos(t.At)
		if t.Minor {
			w.printf(`<line class="grid minor" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s"/>`, num(l.left), num(right), num(y), num(y), colGridMinor)
			continue
		}
		w.printf(`<line class="grid" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s"/>`, num(l.left), num(right), num(y), num(y), colGrid)
		w.printf(`<text class="tick y" x="%s" y="%s" text-anchor="end" font-size="11" fill="%s">%s</text>`, num(l.left-6), num(y+4), colText, esc(t.Label))
	}
	if c.Y.Unit != "" {
		w.printf(`<text class="unit" x="4" y="%s" font-size="11" fill="%s">%s</text>`, num(l.top-14), colText, esc(c.Y.Unit))
	}
}

func (w *svgWriter) xAxis(c Chart, l layout) {
	base := l.top + l.plotH
	right := l.left + l.plotW
	for _, m := range c.X.Marks {
		x := l.x.pos(m)
		w.printf(`<line class="mark" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s"/>`, num(x), num(x), num(base), num(base+4), colAxis)
	}
	for _, t := range l.xTicks {
		x := l.x.pos(t.At)
		anchor := t.Anchor
		if anchor == "" {
			anchor = "middle"
			if x > right-20 {
				anchor = "end" // keep the last label inside the chart
			}
		}
		if c.X.TickMarks {
			w.printf(`<line class="axis" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s"/>`, num(x), num(x), num(base), num(base+5), colAxis)
		}
		class := t.Class
		if class == "" {
			class = "tick x"
		}
		w.printf(`<text class="%s" x="%s" y="%s" text-anchor="%s" font-size="11" fill="%s">%s</text>`, esc(class), num(x), num(base+18), anchor, colText, esc(t.Label))
	}
	if len(l.xTicks) == 0 && c.Bars != nil && len(c.Bars.Groups) > 0 {
		w.groupLabels(c.Bars.Groups, l)
	}
	w.printf(`<line class="axis" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s"/>`, num(l.left), num(right), num(base), num(base), colMuted)
}

// groupLabels names the bar slots, every k-th one so they never overlap.
func (w *svgWriter) groupLabels(groups []string, l layout) {
	slot := l.plotW / float64(len(groups))
	every := max(int(math.Ceil(64/slot)), 1)
	for g := 0; g < len(groups); g += every {
		w.printf(`<text class="tick x" x="%s" y="%s" text-anchor="middle" font-size="11" fill="%s">%s</text>`,
			num(l.left+slot*(float64(g)+0.5)), num(l.top+l.plotH+18), colText, esc(groups[g]))
	}
}

func (w *svgWriter) bars(c Chart, l layout) {
	b := c.Bars
	if b == nil || l.slots == 0 || len(b.Series) == 0 {
		return
	}
	base := l.top + l.plotH
	slot := l.plotW / float64(l.slots)
	value := func(s Row, j int) float64 {
		if j < len(s.Values) && finite(s.Values[j]) && s.Values[j] > 0 {
			return s.Values[j]
		}
		return 0
	}
	height := func(v float64) float64 {
		h := base - l.y.pos(v)
		if v > 0 {
			h = math.Max(h, b.MinHeight)
		}
		return h
	}
	group := func(j int) string {
		if j < len(b.Groups) {
			return b.Groups[j]
		}
		return ""
	}
	if !b.Stacked {
		barW := slot * 0.8 / float64(len(b.Series))
		for j := 0; j < l.slots; j++ {
			x := l.left + slot*float64(j) + slot*0.1
			for i, s := range b.Series {
				v := value(s, j)
				h := height(v)
				w.printf(`<rect class="bar" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s · %s: %s</title></rect>`,
					num(x+barW*float64(i)), num(base-h), num(math.Max(barW-1, 1)), num(h), esc(s.color(i)),
					esc(s.Label), esc(group(j)), esc(Number(v)))
			}
		}
		return
	}
	gap := 0.0
	if slot > 3 {
		gap = math.Min(slot*0.15, 2)
	}
	for j := 0; j < l.slots; j++ {
		var parts []string
		total := 0.0
		for _, s := range b.Series {
			if v := value(s, j); v > 0 {
				parts = append(parts, Number(v)+" "+s.Label)
				total += v
			}
		}
		if total == 0 {
			continue
		}
		title := strings.Join(parts, ", ")
		if g := group(j); g != "" {
			title = g + ": " + title
		}
		if j < len(b.Titles) && b.Titles[j] != "" {
			title = b.Titles[j]
		}
		w.printf(`<g class="bar"><title>%s</title>`, esc(title))
		x, y := l.left+float64(j)*slot+gap/2, base
		for i, s := range b.Series {
			v := value(s, j)
			if v == 0 {
				continue
			}
			h := height(v)
			y -= h
			w.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, num(x), num(y), num(slot-gap), num(h), esc(s.color(i)))
		}
		w.printf(`</g>`)
	}
}

// edges are the x coordinates where each step of s begins, and where the
// last one ends.
func (s Series) edges(l layout) []float64 {
	xs := make([]float64, len(s.Points)+1)
	for j, p := range s.Points {
		xs[j] = l.x.pos(p.X)
	}
	end := s.End
	if !finite(end) || len(s.Points) > 0 && end < s.Points[len(s.Points)-1].X {
		end = s.Points[len(s.Points)-1].X
	}
	xs[len(s.Points)] = l.x.pos(end)
	return xs
}

func (w *svgWriter) areas(c Chart, l layout) {
	for i, s := range c.Series {
		n := len(s.Points)
		if !s.Area || n == 0 {
			continue
		}
		top, bottom := l.stacks[i], l.bases[i]
		d := make(pathData, 0, 24*n)
		if s.Step {
			xs := s.edges(l)
			d.cmd('M', xs[0], l.y.pos(top[0]))
			for j := 0; j < n; j++ {
				d.cmd('H', xs[j+1])
				if j+1 < n {
					d.cmd('V', l.y.pos(top[j+1]))
				}
			}
			d.cmd('V', l.y.pos(bottom[n-1]))
			for j := n - 1; j >= 0; j-- {
				d.cmd('H', xs[j])
				if j > 0 {
					d.cmd('V', l.y.pos(bottom[j-1]))
				}
			}
		} else {
			for j, p := range s.Points {
				c := byte('L')
				if j == 0 {
					c = 'M'
				}
				d.cmd(c, l.x.pos(p.X), l.y.pos(top[j]))
			}
			for j := n - 1; j >= 0; j-- {
				d.cmd('L', l.x.pos(s.Points[j].X), l.y.pos(bottom[j]))
			}
		}
		d = append(d, 'Z')
		fill, opacity, width := s.Fill, s.FillOpacity, s.Width
		if fill == "" {
			fill = s.color(i)
		}
		if opacity <= 0 {
			opacity = 0.45
			if s.Stack {
				opacity = 0.85
			}
		}
		if width <= 0 {
			width = 2
			if s.Stack {
				width = 1
			}
		}
		w.printf(`<path class="series" data-series="%s" data-points="%d" d="%s" fill="%s" fill-opacity="%s" stroke="%s" stroke-width="%s" stroke-linejoin="round"><title>%s</title></path>`,
			esc(s.Label), n, d, esc(fill), fixed(opacity, 2), esc(s.color(i)), num(width), esc(s.Label))
	}
}

func (w *svgWriter) lines(c Chart, l layout) {
	for i, s := range c.Series {
		if s.Area {
			continue
		}
		d := make(pathData, 0, 16*len(s.Points))
		points, gap := 0, true
		var xs []float64
		if s.Step && len(s.Points) > 0 {
			xs = s.edges(l)
		}
		for j, p := range s.Points {
			if !finite(p.Y) || !finite(p.X) {
				gap = true
				continue
			}
			x, y := l.x.pos(p.X), l.y.pos(p.Y)
			switch {
			case gap:
				d.cmd('M', x, y)
			case s.Step:
				d.cmd('V', y)
			default:
				d.cmd('L', x, y)
			}
			if s.Step {
				d.cmd('H', xs[j+1])
			}
			points++
			gap = false
		}
		width := s.Width
		if width <= 0 {
			width = 2
		}
		dash := ""
		if s.Dash != "" {
			dash = ` stroke-dasharray="` + esc(s.Dash) + `"`
		}
		w.printf(`<path class="series" data-series="%s" data-points="%d" d="%s" fill="none" stroke="%s" stroke-width="%s"%s stroke-linejoin="round" stroke-linecap="round"/>`,
			esc(s.Label), points, d, esc(s.color(i)), num(width), dash)
		if !s.Dots {
			continue
		}
		for _, p := range s.Points {
			if !finite(p.Y) || !finite(p.X) {
				continue
			}
			w.printf(`<circle class="point" cx="%s" cy="%s" r="3.5" fill="%s"><title>%s · %s: %s</title></circle>`,
				num(l.x.pos(p.X)), num(l.y.pos(p.Y)), esc(s.color(i)), esc(s.Label), esc(c.X.label(p.X)), esc(c.Y.label(p.Y)))
		}
	}
}

func (w *svgWriter) thresholds(c Chart, l layout) {
	right := l.left + l.plotW
	for _, t := range c.Thresholds {
		if !finite(t.Value) {
			continue
		}
		y := l.y.pos(t.Value)
		w.printf(`<line class="threshold" x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="1.5" stroke-dasharray="6 4"/>`,
			num(l.left), num(right), num(y), num(y), esc(t.color()))
		if t.Label != "" {
			w.printf(`<text class="threshold" x="%s" y="%s" text-anchor="end" font-size="11" fill="%s">%s</text>`, num(right-4), num(y-5), esc(t.color()), esc(t.Label))
		}
	}
}

// Legend geometry: a row's height and a label's width per character.
const (
	legendRow   = 20
	legendChar  = 7
	legendLimit = 48 // characters before a label is cut short
)

// legendWidth is the room an entry takes: its swatch (a line swatch is
// wider, so its dashes show) and its label.
func legendWidth(e Entry) float64 {
	w := 24 + legendChar*min(len([]rune(e.Label)), legendLimit)
	if e.Dash != "" {
		w += 10
	}
	return float64(w)
}

// legendRows predicts how many rows the legend takes, to size the SVG.
func legendRows(entries []Entry, left, right float64) int {
	if len(entries) == 0 {
		return 0
	}
	x, rows := left, 1
	for _, e := range entries {
		wd := legendWidth(e)
		if x+wd > right && x > left {
			x, rows = left, rows+1
		}
		x += wd + 12
	}
	return rows
}

// legend writes a swatch and a label per entry, wrapping into rows.
func (w *svgWriter) legend(c Chart, l layout) {
	if c.LegendAt == Hidden {
		return
	}
	right := l.width - (l.width - l.left - l.plotW)
	x, row := l.left, 0
	for _, e := range l.entries {
		text := e.Label
		if r := []rune(text); len(r) > legendLimit {
			text = string(r[:legendLimit-1]) + "…"
		}
		wd := legendWidth(e)
		if x+wd > right && x > l.left {
			x, row = l.left, row+1
		}
		y := l.legendY + float64(row*legendRow)
		w.printf(`<g class="legend-item">`)
		if e.Dash != "" {
			w.printf(`<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="%s" stroke-width="2" stroke-dasharray="%s"/>`, num(x), num(x+22), num(y+6), num(y+6), esc(e.Color), esc(e.Dash))
		} else {
			w.printf(`<rect x="%s" y="%s" width="12" height="12" rx="2" fill="%s"/>`, num(x), num(y), esc(e.Color))
		}
		tx := x + 16
		if e.Dash != "" {
			tx += 10
		}
		w.printf(`<text x="%s" y="%s" font-size="12" fill="%s">%s</text></g>`, num(tx), num(y+10), colLegend, esc(text))
		x += wd + 12
	}
}
