package controls

import (
	"strings"
	"testing"
)

func TestStatusFailing(t *testing.T) {
	for _, tc := range []struct {
		st   Status
		want bool
	}{
		{Pass, false},
		{NotApplicable, false},
		{Fail, true},
		{Stale, true},
		{NoEvidence, true},
		// A status this version does not know fails closed.
		{"mystery", true},
	} {
		if got := tc.st.Failing(); got != tc.want {
			t.Errorf("%s.Failing() = %v, want %v", tc.st, got, tc.want)
		}
	}
}

func TestCombine(t *testing.T) {
	res := func(check string, st Status, reason string) Result {
		return Result{Check: check, Status: st, Reason: reason}
	}
	na := res("a", NotApplicable, "every provider is secretless (demo)")
	for _, tc := range []struct {
		name   string
		in     []Result
		want   Status
		reason []string // substrings the reason must hold
	}{
		{"all pass", []Result{res("a", Pass, "ok"), res("b", Pass, "ok")}, Pass, []string{"every check passed"}},
		{"all not applicable", []Result{na, res("b", NotApplicable, "no vendors")}, NotApplicable,
			[]string{"a: every provider is secretless (demo)", "b: no vendors"}},
		{"one not applicable", []Result{na}, NotApplicable, []string{"a: every provider is secretless"}},
		// Pass and not applicable pass, and still name what did not apply.
		{"pass and not applicable", []Result{na, res("b", Pass, "ok")}, Pass,
			[]string{"every applicable check passed", "not applicable: a: every provider is secretless"}},
		{"not applicable and fail", []Result{na, res("b", Fail, "keys lack limits")}, Fail, []string{"b: keys lack limits"}},
		{"not applicable and stale", []Result{na, res("b", Stale, "old")}, Stale, []string{"b: old"}},
		{"not applicable and no evidence", []Result{na, res("b", NoEvidence, "no events")}, NoEvidence, []string{"b: no events"}},
		{"worst wins", []Result{res("a", Stale, "old"), res("b", Fail, "bad"), res("c", NoEvidence, "none")}, Fail, []string{"b: bad"}},
		{"no evidence over stale", []Result{res("a", Stale, "old"), na, res("c", NoEvidence, "none")}, NoEvidence, []string{"c: none"}},
		{"unknown status fails", []Result{na, res("b", "mystery", "?")}, "mystery", []string{"b: ?"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, reason := combine(tc.in)
			if st != tc.want {
				t.Fatalf("status %s (%s), want %s", st, reason, tc.want)
			}
			for _, want := range tc.reason {
				if !strings.Contains(reason, want) {
					t.Errorf("reason %q lacks %q", reason, want)
				}
			}
		})
	}
}

// TestNotApplicableNeedsAReason checks that a check claiming not
// applicable without saying why fails instead.
func TestNotApplicableNeedsAReason(t *testing.T) {
	register("test_silent_not_applicable", "test", func(*Input) Result { return Result{Status: NotApplicable} })
	defer delete(checks, "test_silent_not_applicable")
	r, _ := Run("test_silent_not_applicable", fixture{}.input(t))
	if r.Status != Fail || r.Reason == "" {
		t.Fatalf("silent not applicable = %s %q, want a failure with a reason", r.Status, r.Reason)
	}
}
