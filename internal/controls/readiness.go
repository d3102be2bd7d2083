package controls

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// Readiness is where the organization stands on the way to a SOC 2 report.
type Readiness struct {
	Time     time.Time `json:"time"`
	Gap      Gap       `json:"gap"`
	Type1    Type1     `json:"type1"`
	Type2    Type2     `json:"type2"`
	Timeline Timeline  `json:"timeline"`
}

// Gap is the gap assessment: which controls lack evidence, fail, or rest
// on stale evidence as of the newest evaluation.
type Gap struct {
	Controls     int      `json:"controls"`
	Passing      int      `json:"passing"`
	NoEvidence   []string `json:"no_evidence"`
	Failing      []string `json:"failing"`
	Stale        []string `json:"stale"`
	NotEvaluated []string `json:"not_evaluated"`
	// NotApplicable are controls whose scope holds nothing to check. They
	// are not open, and not passing either: each result says why.
	NotApplicable []string `json:"not_applicable"`
}

// Open counts controls that are neither passing nor not applicable.
func (g Gap) Open() int {
	return len(g.NoEvidence) + len(g.Failing) + len(g.Stale) + len(g.NotEvaluated)
}

// Type1 is the state of control design at a point in time.
type Type1 struct {
	Controls  int `json:"controls"`
	Automated int `json:"automated"`
	Manual    int `json:"manual"`
	// CriteriaCovered counts criteria served by at least one control.
	CriteriaCovered   int      `json:"criteria_covered"`
	CriteriaTotal     int      `json:"criteria_total"`
	UncoveredCriteria []string `json:"uncovered_criteria"`
	// UncoveredComponents are in-scope components no control covers.
	UncoveredComponents []string `json:"uncovered_components"`
	// DesignComplete is true when every criterion and component is
	// covered; Ready also needs every control passing.
	DesignComplete bool `json:"design_complete"`
	Ready          bool `json:"ready"`
}

// Type2 is progress through the observation window.
type Type2 struct {
	WindowStart   time.Time `json:"window_start,omitzero"`
	DaysElapsed   int       `json:"days_elapsed"`
	TargetDays    int       `json:"target_days"`
	DaysRemaining int       `json:"days_remaining"`
	Exceptions    int       `json:"exceptions"`
	Open          int       `json:"open_exceptions"`
	// Operating counts controls with no exception so far.
	Operating int `json:"operating_throughout"`
}

// Timeline estimates when a Type 2 report can be issued, from the usual
// engagement phases: readiness 1-3 months, observation 3-12 months and
// audit fieldwork and reporting 4-6 weeks.
type Timeline struct {
	Phases         []Phase   `json:"phases"`
	EarliestReport time.Time `json:"earliest_report"`
	LatestReport   time.Time `json:"latest_report"`
}

// Phase is one engagement phase with its earliest and latest end.
type Phase struct {
	Name        string    `json:"name"`
	Start       time.Time `json:"start"`
	EndEarliest time.Time `json:"end_earliest"`
	EndLatest   time.Time `json:"end_latest"`
	Done        bool      `json:"done"`
}

// ReadinessInput is what an assessment reads.
type ReadinessInput struct {
	Catalog *Catalog
	// Last is the newest evaluation; nil if none ran.
	Last *RunResult
	// History covers the observation window so far.
	History []ControlHistory
	Scope   []ScopedComponent
	// WindowStart is when the Type 2 observation window began; zero if
	// it has not.
	WindowStart time.Time
	// TargetDays is the planned window length; default 182 (six months).
	TargetDays int
	Now        time.Time
}

// Assess builds the readiness report.
func Assess(in ReadinessInput) Readiness {
	if in.TargetDays <= 0 {
		in.TargetDays = 182
	}
	r := Readiness{Time: in.Now}
	r.Gap = gap(in)
	r.Type1 = type1(in, r.Gap)
	r.Type2 = type2(in)
	r.Timeline = timeline(in, r)
	return r
}

func gap(in ReadinessInput) Gap {
	g := Gap{Controls: len(in.Catalog.Controls), NoEvidence: []string{}, Failing: []string{}, Stale: []string{}, NotEvaluated: []string{}, NotApplicable: []string{}}
	for _, k := range in.Catalog.Controls {
		var cr ControlResult
		ok := false
		if in.Last != nil {
			cr, ok = in.Last.Result(k.ID)
		}
		switch {
		case !ok || in.Now.Sub(cr.Time) > k.Frequency.Window():
			g.NotEvaluated = append(g.NotEvaluated, k.ID)
		case cr.Status == Pass:
			g.Passing++
		case cr.Status == NotApplicable:
			g.NotApplicable = append(g.NotApplicable, k.ID)
		case cr.Status == NoEvidence:
			g.NoEvidence = append(g.NoEvidence, k.ID)
		case cr.Status == Stale:
			g.Stale = append(g.Stale, k.ID)
		default:
			g.Failing = append(g.Failing, k.ID)
		}
	}
	return g
}

func type1(in ReadinessInput, g Gap) Type1 {
	t := Type1{Controls: len(in.Catalog.Controls), CriteriaTotal: len(in.Catalog.Criteria), UncoveredCriteria: []string{}, UncoveredComponents: []string{}}
	for _, k := range in.Catalog.Controls {
		if k.Automated() {
			t.Automated++
		} else {
			t.Manual++
		}
	}
	for _, c := range in.Catalog.Criteria {
		if len(in.Catalog.ControlsFor(c.ID)) > 0 {
			t.CriteriaCovered++
		} else {
			t.UncoveredCriteria = append(t.UncoveredCriteria, c.ID)
		}
	}
	for _, c := range in.Scope {
		if c.Uncovered {
			t.UncoveredComponents = append(t.UncoveredComponents, c.ID)
		}
	}
	t.DesignComplete = len(t.UncoveredCriteria) == 0 && len(t.UncoveredComponents) == 0
	t.Ready = t.DesignComplete && g.Open() == 0
	return t
}

func type2(in ReadinessInput) Type2 {
	t := Type2{WindowStart: in.WindowStart, TargetDays: in.TargetDays}
	if in.WindowStart.IsZero() {
		t.DaysRemaining = in.TargetDays
		return t
	}
	t.DaysElapsed = int(in.Now.Sub(in.WindowStart) / Day)
	t.DaysRemaining = max(0, in.TargetDays-t.DaysElapsed)
	for _, h := range in.History {
		t.Exceptions += len(h.Exceptions)
		for _, e := range h.Exceptions {
			if e.Open {
				t.Open++
			}
		}
		if h.Operated {
			t.Operating++
		}
	}
	return t
}

// months adds n months; fractional months round up to whole days.
func months(t time.Time, n float64) time.Time {
	whole := int(n)
	return t.AddDate(0, whole, int(math.Ceil((n-float64(whole))*30)))
}

func timeline(in ReadinessInput, r Readiness) Timeline {
	now := in.Now
	ready := Phase{Name: "readiness", Start: now, EndEarliest: now, EndLatest: now, Done: r.Type1.Ready}
	if !ready.Done {
		// The more controls still open, the longer readiness takes.
		share := float64(r.Gap.Open()) / float64(max(1, r.Gap.Controls))
		ready.EndEarliest = months(now, min(3, max(1, math.Ceil(3*share))))
		ready.EndLatest = months(now, 3)
	}
	obs := Phase{Name: "observation", Start: ready.EndEarliest}
	if !in.WindowStart.IsZero() && ready.Done {
		obs.Start = in.WindowStart
	}
	obs.EndEarliest = months(obs.Start, 3)
	if target := obs.Start.Add(time.Duration(in.TargetDays) * Day); target.After(obs.EndEarliest) {
		obs.EndEarliest = target
	}
	latestStart := ready.EndLatest
	if ready.Done {
		latestStart = obs.Start
	}
	obs.EndLatest = months(latestStart, 12)
	obs.Done = !in.WindowStart.IsZero() && now.After(obs.EndEarliest) && r.Type2.Open == 0
	audit := Phase{Name: "audit", Start: obs.EndEarliest, EndEarliest: obs.EndEarliest.Add(4 * 7 * Day), EndLatest: obs.EndLatest.Add(6 * 7 * Day)}
	phases := []Phase{ready, obs, audit}
	return Timeline{Phases: phases, EarliestReport: audit.EndEarliest, LatestReport: audit.EndLatest}
}

// WindowStart is when the Type 2 observation window began: the configured
// start, or else the first recorded evaluation. It is zero if neither
// exists.
func (e *Engine) WindowStart(ctx context.Context) (time.Time, error) {
	if !e.d.Settings.ObservationStart.IsZero() {
		return e.d.Settings.ObservationStart, nil
	}
	es, err := e.d.Ledger.QueryLedger(ctx, ledger.Query{Type: EventEvaluated, Limit: 1})
	if err != nil || len(es) == 0 {
		return time.Time{}, err
	}
	var x evaluatedEntry
	if err := json.Unmarshal(es[0].Data, &x); err != nil {
		return time.Time{}, fmt.Errorf("entry %d: %w", es[0].Index, err)
	}
	return x.Time, nil
}

// Readiness assesses gaps, Type 1 design, Type 2 progress and the timeline
// as of now.
func (e *Engine) Readiness(ctx context.Context) (Readiness, error) {
	now := e.d.Now().UTC()
	last, err := e.LastRun(ctx)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Readiness{}, err
	}
	start, err := e.WindowStart(ctx)
	if err != nil {
		return Readiness{}, err
	}
	var hist []ControlHistory
	if !start.IsZero() {
		if hist, err = History(ctx, e.d.Ledger, e.d.Catalog, start, now.Add(time.Second), now); err != nil {
			return Readiness{}, err
		}
	}
	f, err := e.Facts(ctx)
	if err != nil {
		return Readiness{}, err
	}
	scope, err := e.Components(ctx, f)
	if err != nil {
		return Readiness{}, err
	}
	return Assess(ReadinessInput{Catalog: e.d.Catalog, Last: last, History: hist, Scope: scope, WindowStart: start,
		TargetDays: e.d.Settings.ObservationDays, Now: now}), nil
}
