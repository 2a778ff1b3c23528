package chart

import (
	"html/template"
	"math"
)

// Bars is the data of a grouped bar chart: Groups are the categories on
// the x axis (e.g. weeks), and each series has one value per group (e.g.
// deployments to one environment that week).
type Bars struct {
	Title  string
	Unit   string
	Groups []string
	Series []Series
}

const barsPlotH = 200

// BarChart renders b as vertical bars (class "bar"), grouped per category
// with one colour per series and a legend when there is more than one
// series. Each bar carries a tooltip with its series, category and value.
func BarChart(b Bars) template.HTML {
	if len(b.Groups) == 0 || len(b.Series) == 0 {
		return empty("bars", b.Title, "No data yet")
	}
	maxV, integer := 0.0, true
	for _, s := range b.Series {
		for _, v := range s.Values {
			if v > maxV && !math.IsInf(v, 0) {
				maxV = v
			}
			integer = integer && v == math.Trunc(v)
		}
	}
	// Counts (deployments) get whole-number ticks.
	ymax, ystep := niceMax(maxV, integer)
	labels := make([]string, len(b.Series))
	for i, s := range b.Series {
		labels[i] = s.Label
	}
	legendH := 0
	if len(b.Series) > 1 {
		legendH = legendRows(labels) * legendRow
	}
	height := marginTop + barsPlotH + marginBottom + legendH + 8
	var w svgWriter
	w.open("bars", b.Title, height)
	w.yAxis(ymax, ystep, barsPlotH, b.Unit)
	plotW := float64(width - marginLeft - marginRight)
	groupW := plotW / float64(len(b.Groups))
	barW := groupW * 0.8 / float64(len(b.Series))
	base := marginTop + barsPlotH
	// Label every k-th group so the category names never overlap.
	every := int(math.Ceil(float64(len(b.Groups)) * 64 / plotW))
	if every < 1 {
		every = 1
	}
	for g, name := range b.Groups {
		gx := float64(marginLeft) + groupW*float64(g) + groupW*0.1
		for i, s := range b.Series {
			v := 0.0
			if g < len(s.Values) && s.Values[g] > 0 && !math.IsInf(s.Values[g], 0) {
				v = s.Values[g]
			}
			h := barsPlotH * v / ymax
			w.printf(`<rect class="bar" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s · %s: %s</title></rect>`,
				num(gx+barW*float64(i)), num(float64(base)-h), num(math.Max(barW-1, 1)), num(h), esc(s.color(i)),
				esc(s.Label), esc(name), esc(formatValue(math.Round(v*100)/100)))
		}
		if g%every == 0 {
			w.printf(`<text x="%s" y="%d" text-anchor="middle" font-size="11" fill="#475569">%s</text>`,
				num(float64(marginLeft)+groupW*(float64(g)+0.5)), base+18, esc(name))
		}
	}
	w.printf(`<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#64748b"/>`, marginLeft, width-marginRight, base, base)
	if len(b.Series) > 1 {
		w.legend(labels, colors(b.Series), base+marginBottom-8)
	}
	return w.html()
}
