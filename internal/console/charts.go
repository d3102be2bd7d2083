package console

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// chart is what console.js hands to uPlot. X holds Unix seconds; a nil
// value is a gap. Pages without JavaScript show the same data as a table.
type chart struct {
	Title  string        `json:"title"`
	Unit   string        `json:"unit,omitempty"`
	Kind   string        `json:"kind"` // line or step
	X      []int64       `json:"x"`
	Series []chartSeries `json:"series"`
	// Min and Max fix the x range when the data alone gives none: uPlot
	// stretches a single instant over years of empty axis.
	Min *int64 `json:"min,omitempty"`
	Max *int64 `json:"max,omitempty"`
}

// padSingle gives a chart whose points all share one time a range of pad
// seconds either side of it.
func (c *chart) padSingle(pad int64) {
	if len(c.X) == 0 || c.X[0] != c.X[len(c.X)-1] {
		c.Min, c.Max = nil, nil
		return
	}
	lo, hi := c.X[0]-pad, c.X[0]+pad
	c.Min, c.Max = &lo, &hi
}

type chartSeries struct {
	Label  string     `json:"label"`
	Values []*float64 `json:"values"`
	// Tone picks a colour from the stylesheet's palette.
	Tone string `json:"tone"`
	Dash bool   `json:"dash,omitempty"`
}

// maxChartPoints bounds what a page ships to the browser.
const maxChartPoints = 2000

var tones = []string{"blue", "orange", "purple", "teal", "red", "green"}

// seriesChart aligns several series on the union of their timestamps and
// adds a dashed line for each threshold.
func seriesChart(title, unit string, ss []Series) chart {
	c := chart{Title: title, Unit: unit, Kind: "line"}
	var xs []int64
	for _, s := range ss {
		for _, p := range s.Points {
			xs = append(xs, p.T.Unix())
		}
	}
	slices.Sort(xs)
	xs = slices.Compact(xs)
	if len(xs) > maxChartPoints {
		xs = xs[len(xs)-maxChartPoints:]
	}
	c.X = xs
	pos := make(map[int64]int, len(xs))
	for i, x := range xs {
		pos[x] = i
	}
	for i, s := range ss {
		vals := make([]*float64, len(xs))
		for _, p := range s.Points {
			if j, ok := pos[p.T.Unix()]; ok {
				v := p.V
				vals[j] = &v
			}
		}
		tone := tones[i%len(tones)]
		c.Series = append(c.Series, chartSeries{Label: s.Name, Values: vals, Tone: tone})
		if s.Threshold != nil && len(xs) > 0 {
			th := make([]*float64, len(xs))
			for j := range th {
				v := *s.Threshold
				th[j] = &v
			}
			c.Series = append(c.Series, chartSeries{Label: s.Name + " limit", Values: th, Tone: "red", Dash: true})
		}
	}
	c.padSingle(int64(time.Hour / time.Second))
	return c
}

// trendChart draws passing and failing controls per day as steps.
func trendChart(t Trend) chart {
	pass := Series{Name: "passing"}
	fail := Series{Name: "failing"}
	for _, p := range t.Points {
		day := p.Day.UTC().Truncate(24 * time.Hour)
		pass.Points = append(pass.Points, Point{T: day, V: float64(p.Passing)})
		fail.Points = append(fail.Points, Point{T: day, V: float64(p.Failing)})
	}
	c := seriesChart("Controls passing and failing per day", "controls", []Series{pass, fail})
	c.Kind = "step"
	c.padSingle(int64(24 * time.Hour / time.Second))
	if len(c.Series) == 2 {
		c.Series[0].Tone, c.Series[1].Tone = "green", "red"
	}
	return c
}

// Rows turns a chart into table rows for the no-script fallback and for
// screen readers.
func (c chart) Rows() [][]string {
	rows := make([][]string, 0, len(c.X))
	for i, x := range c.X {
		row := []string{time.Unix(x, 0).UTC().Format("2006-01-02 15:04")}
		for _, s := range c.Series {
			if v := s.Values[i]; v != nil {
				row = append(row, trimFloat(*v))
			} else {
				row = append(row, "")
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// Labels are the table's column headings.
func (c chart) Labels() []string {
	out := []string{"time"}
	for _, s := range c.Series {
		out = append(out, s.Label)
	}
	return out
}

// Empty reports whether the chart has nothing to draw.
func (c chart) Empty() bool { return len(c.X) == 0 }

// trimFloat prints a value with at most three decimals.
func trimFloat(f float64) string {
	return strconv.FormatFloat(math.Round(f*1000)/1000, 'f', -1, 64)
}
