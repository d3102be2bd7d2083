package controls

import "testing"

func TestTimeline(t *testing.T) {
	cat, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	allPass := &RunResult{}
	for _, k := range cat.Controls {
		allPass.Controls = append(allPass.Controls, ControlResult{Control: k.ID, Status: Pass, Time: now})
	}
	ready := Assess(ReadinessInput{Catalog: cat, Last: allPass, WindowStart: now.Add(-30 * Day), Now: now})
	if !ready.Type1.Ready || !ready.Timeline.Phases[0].Done || ready.Type2.DaysElapsed != 30 || ready.Type2.DaysRemaining != 152 {
		t.Fatalf("ready organization: %+v", ready)
	}
	// Observation started 30 days ago: earliest report at the end of the
	// six-month window plus four weeks of fieldwork.
	if want := now.Add(-30 * Day).Add(182 * Day).Add(28 * Day); !ready.Timeline.EarliestReport.Equal(want) {
		t.Fatalf("earliest report %v, want %v", ready.Timeline.EarliestReport, want)
	}
	fresh := Assess(ReadinessInput{Catalog: cat, Now: now})
	if fresh.Type1.Ready || len(fresh.Gap.NotEvaluated) != len(cat.Controls) || !fresh.Type1.DesignComplete {
		t.Fatalf("fresh organization: %+v", fresh.Type1)
	}
	// Nothing evaluated yet: readiness takes the full three months, then
	// at least six months of observation and four weeks of audit.
	if want := now.AddDate(0, 3, 0).Add(182 * Day).Add(28 * Day); !fresh.Timeline.EarliestReport.Equal(want) {
		t.Fatalf("earliest report %v, want %v", fresh.Timeline.EarliestReport, want)
	}
	if want := now.AddDate(0, 3, 0).AddDate(0, 12, 0).Add(42 * Day); !fresh.Timeline.LatestReport.Equal(want) {
		t.Fatalf("latest report %v, want %v", fresh.Timeline.LatestReport, want)
	}
}

// TestGapNotApplicable checks that a not applicable control is listed on
// its own: neither passing nor open, so it does not hold readiness back.
func TestGapNotApplicable(t *testing.T) {
	cat, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	run := &RunResult{}
	for _, k := range cat.Controls {
		st := Pass
		if k.ID == "AI-SEC-05" {
			st = NotApplicable
		}
		run.Controls = append(run.Controls, ControlResult{Control: k.ID, Status: st, Time: now})
	}
	r := Assess(ReadinessInput{Catalog: cat, Last: run, Now: now})
	g := r.Gap
	if len(g.NotApplicable) != 1 || g.NotApplicable[0] != "AI-SEC-05" || g.Passing != len(cat.Controls)-1 || g.Open() != 0 {
		t.Fatalf("gap %+v", g)
	}
	if !r.Type1.Ready {
		t.Fatal("a not applicable control must not hold readiness back")
	}
}
