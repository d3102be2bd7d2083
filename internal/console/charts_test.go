package console

import (
	"reflect"
	"testing"
	"time"
)

func TestSeriesChartAlignsOnUnionOfTimes(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	lim := 0.5
	c := seriesChart("x", "u", []Series{
		{Name: "a", Points: []Point{{t0, 1}, {t0.Add(2 * time.Minute), 3}}, Threshold: &lim},
		{Name: "b", Points: []Point{{t0.Add(time.Minute), 2}}},
	})
	if want := []int64{t0.Unix(), t0.Unix() + 60, t0.Unix() + 120}; !reflect.DeepEqual(c.X, want) {
		t.Fatalf("x = %v, want %v", c.X, want)
	}
	if len(c.Series) != 3 || c.Series[1].Label != "a limit" || !c.Series[1].Dash {
		t.Fatalf("series %+v", c.Series)
	}
	if c.Series[0].Values[1] != nil || *c.Series[0].Values[2] != 3 || c.Series[2].Values[0] != nil || *c.Series[2].Values[1] != 2 {
		t.Fatal("values are not aligned, or gaps are not nil")
	}
	rows := c.Rows()
	if len(rows) != 3 || rows[1][1] != "" || rows[1][3] != "2" || rows[0][2] != "0.5" {
		t.Fatalf("rows %v", rows)
	}
}

func TestSeriesChartIsBounded(t *testing.T) {
	var s Series
	t0 := time.Unix(0, 0)
	for i := range maxChartPoints + 500 {
		s.Points = append(s.Points, Point{t0.Add(time.Duration(i) * time.Second), float64(i)})
	}
	c := seriesChart("x", "", []Series{s})
	if len(c.X) != maxChartPoints || *c.Series[0].Values[maxChartPoints-1] != float64(maxChartPoints+499) {
		t.Fatalf("kept %d points; want the newest %d", len(c.X), maxChartPoints)
	}
}

func TestTrendChart(t *testing.T) {
	d := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)
	c := trendChart(Trend{Points: []TrendPoint{{d, 5, 1}, {d.Add(24 * time.Hour), 6, 0}}})
	if c.Kind != "step" || c.Series[0].Tone != "green" || c.Series[1].Tone != "red" || c.X[0] != d.Truncate(24*time.Hour).Unix() {
		t.Fatalf("%+v", c)
	}
}

// TestSingleInstantChartsGetARange checks that a chart whose points share
// one time carries its own x range: uPlot would stretch one instant over
// years of empty axis, as the demo's one-day trend and one evaluation did.
func TestSingleInstantChartsGetARange(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	c := seriesChart("x", "u", []Series{{Name: "a", Points: []Point{{t0, 1}}}, {Name: "b", Points: []Point{{t0, 2}}}})
	if c.Min == nil || c.Max == nil || *c.Min != t0.Unix()-3600 || *c.Max != t0.Unix()+3600 {
		t.Fatalf("one instant: range %v..%v, want an hour either side", c.Min, c.Max)
	}
	d := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)
	tr := trendChart(Trend{Points: []TrendPoint{{d, 40, 2}}})
	day := d.Truncate(24 * time.Hour).Unix()
	if tr.Min == nil || *tr.Min != day-86400 || *tr.Max != day+86400 {
		t.Fatalf("one day of trend: range %v..%v, want a day either side", tr.Min, tr.Max)
	}
	two := trendChart(Trend{Points: []TrendPoint{{d, 5, 1}, {d.Add(24 * time.Hour), 6, 0}}})
	if two.Min != nil || two.Max != nil {
		t.Fatal("a chart with a span of its own got a fixed range")
	}
	if empty := seriesChart("x", "", nil); empty.Min != nil {
		t.Fatal("an empty chart got a range")
	}
}
