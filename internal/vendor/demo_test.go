package vendor

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestShiftDates(t *testing.T) {
	for _, c := range []struct {
		in     string
		months int
		want   string
	}{
		{"from April 1, 2024 to March 31, 2025.", 12, "from April 1, 2025 to March 31, 2026."},
		{"March 31, 2025", 1, "April 30, 2025"},
		{"January 31, 2025", 1, "February 28, 2025"},
		{"February 28, 2025", 12, "February 28, 2026"},
		{"February 28, 2027", 12, "February 29, 2028"},
		{"October 15, 2025", -3, "July 15, 2025"},
		{"in 2025, Section 3", 12, "in 2025, Section 3"},
	} {
		if got := string(shiftDates([]byte(c.in), c.months)); got != c.want {
			t.Errorf("shiftDates(%q, %d) = %q, want %q", c.in, c.months, got, c.want)
		}
	}
}

// TestDemoPacketCurrent reviews the demo packet on several days: whenever
// the demo runs, its report is current and the review finds what it found
// on the day the fixture was written, no more and no less.
func TestDemoPacketCurrent(t *testing.T) {
	ctx := context.Background()
	written := time.Date(2025, time.November, 1, 0, 0, 0, 0, time.UTC)
	base, err := Analyze(ctx, &Reader{}, DefaultPolicy(), DemoPacket(written), written, nil)
	if err != nil {
		t.Fatal(err)
	}
	codes := func(r *Review) []string {
		var out []string
		for _, f := range r.RedFlags {
			out = append(out, f.Code)
		}
		slices.Sort(out)
		return out
	}
	for _, now := range []time.Time{
		time.Date(2026, time.November, 22, 12, 0, 0, 0, time.UTC),
		time.Date(2027, time.May, 10, 0, 0, 0, 0, time.UTC),
		time.Date(2030, time.February, 28, 0, 0, 0, 0, time.UTC),
	} {
		r, err := Analyze(ctx, &Reader{}, DefaultPolicy(), DemoPacket(now), now, nil)
		if err != nil {
			t.Fatal(err)
		}
		stale, ok := parseDate(r.Coverage.StaleOn)
		if !ok || !stale.After(now) {
			t.Errorf("%s: the demo report is stale on %q", now.Format(dateLayout), r.Coverage.StaleOn)
		}
		if r.Verdict != base.Verdict || !slices.Equal(codes(r), codes(base)) {
			t.Errorf("%s: verdict %s, red flags %v; on the day the fixture was written %s, %v", now.Format(dateLayout), r.Verdict, codes(r), base.Verdict, codes(base))
		}
	}
}
