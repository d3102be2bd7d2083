package controls

import (
	"testing"
	"time"
)

func TestOperating(t *testing.T) {
	k := &Control{ID: "X-1", Frequency: Continuous} // window: one day
	from := now.Add(-10 * Day)
	e := func(idx uint64, at time.Duration, st Status) Evaluation {
		return Evaluation{Index: idx, Time: from.Add(at), Status: st, Reason: string(st)}
	}
	type exc struct {
		kind   string
		start  time.Duration
		end    time.Duration // -1: open
		status Status
	}
	cases := []struct {
		name     string
		evs      []Evaluation
		operated bool
		want     []exc
	}{
		{"never evaluated", nil, false, []exc{{ExceptionNotEvaluated, 0, -1, NoEvidence}}},
		{"passing throughout", []Evaluation{e(1, 0, Pass), e(2, 20*time.Hour, Pass), e(3, 9*Day, Pass), e(4, 9*Day+20*time.Hour, Pass)}, false,
			[]exc{{ExceptionNotEvaluated, 20 * time.Hour, 9 * Day, NoEvidence}}},
		{"hourly passes", hourly(from, 10*24, func(int) Status { return Pass }), true, nil},
		{"fail then fixed", hourly(from, 10*24, func(i int) Status {
			if i >= 10 && i < 15 {
				return Fail
			}
			if i == 15 {
				return Stale
			}
			return Pass
		}), false, []exc{{ExceptionFailing, 10 * time.Hour, 16 * time.Hour, Fail}}},
		{"failing at the end", hourly(from, 10*24, func(i int) Status {
			if i >= 200 {
				return NoEvidence
			}
			return Pass
		}), false, []exc{{ExceptionFailing, 200 * time.Hour, -1, NoEvidence}}},
		// Not applicable is no exception, and it closes one: the
		// population the control failed on went away.
		{"not applicable throughout", hourly(from, 10*24, func(int) Status { return NotApplicable }), true, nil},
		{"fail then not applicable", hourly(from, 10*24, func(i int) Status {
			switch {
			case i < 10:
				return Pass
			case i < 15:
				return Fail
			}
			return NotApplicable
		}), false, []exc{{ExceptionFailing, 10 * time.Hour, 15 * time.Hour, Fail}}},
		{"late start and stopped", []Evaluation{e(1, 2*Day, Pass), e(2, 2*Day+time.Hour, Pass)}, false,
			[]exc{{ExceptionNotEvaluated, 0, 2 * Day, NoEvidence}, {ExceptionNotEvaluated, 2*Day + time.Hour, -1, NoEvidence}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := operating(k, c.evs, from, now)
			if h.Operated != c.operated {
				t.Fatalf("operated %v, want %v: %+v", h.Operated, c.operated, h.Exceptions)
			}
			if len(h.Exceptions) != len(c.want) {
				t.Fatalf("%d exceptions, want %d: %+v", len(h.Exceptions), len(c.want), h.Exceptions)
			}
			for i, w := range c.want {
				g := h.Exceptions[i]
				if g.Kind != w.kind || !g.Start.Equal(from.Add(w.start)) || g.Status != w.status {
					t.Fatalf("exception %d: %+v, want %+v", i, g, w)
				}
				if w.end < 0 {
					if !g.Open || g.Duration != now.Sub(g.Start) {
						t.Fatalf("exception %d should be open until now: %+v", i, g)
					}
				} else if g.Open || !g.End.Equal(from.Add(w.end)) || g.Duration != w.end-w.start {
					t.Fatalf("exception %d should end at %v: %+v", i, w.end, g)
				}
				if g.Kind == ExceptionFailing && !g.Open && g.Remediation == nil {
					t.Fatalf("a closed exception names its remediation")
				}
			}
		})
	}
}

func TestOperatingCountsNotApplicable(t *testing.T) {
	k := &Control{ID: "X-1", Frequency: Continuous}
	from := now.Add(-10 * Day)
	h := operating(k, hourly(from, 10*24, func(i int) Status {
		switch {
		case i < 100:
			return Pass
		case i < 102:
			return Fail
		}
		return NotApplicable
	}), from, now)
	if h.Passing != 100 || h.NotApplicable != 138 || h.Evaluations != 240 {
		t.Fatalf("passing %d, not applicable %d of %d", h.Passing, h.NotApplicable, h.Evaluations)
	}
	if r := h.Exceptions[0].Remediation; r == nil || r.Status != NotApplicable || r.Index != 102 {
		t.Fatalf("remediation %+v, want the not applicable evaluation 102", r)
	}
}

func hourly(from time.Time, n int, st func(int) Status) []Evaluation {
	out := make([]Evaluation, n)
	for i := range out {
		out[i] = Evaluation{Index: uint64(i), Time: from.Add(time.Duration(i) * time.Hour), Status: st(i)}
	}
	return out
}
