package controls

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"365d", 365 * Day, true}, {"36h", 36 * time.Hour, true}, {" 7d ", 7 * Day, true}, {"90m", 90 * time.Minute, true},
		{"d", 0, false}, {"-1d", 0, false}, {"-5h", 0, false}, {"99999d", 0, false}, {"1.5d", 0, false}, {"soon", 0, false}, {"", 0, false},
	}
	for _, c := range cases {
		d, err := ParseDuration(c.in)
		if (err == nil) != c.ok || (c.ok && d.D != c.want) {
			t.Errorf("ParseDuration(%q) = %v, %v", c.in, d.D, err)
		}
	}
	if s := (Duration{95 * Day}).String(); s != "95d" {
		t.Errorf("String() = %q", s)
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"365d", "36h", "1h30m", "d", "-1d", "9999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && (d.D < 0 || d.D > maxDuration) {
			t.Fatalf("ParseDuration(%q) = %v out of range", s, d.D)
		}
	})
}
