package controls

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a length of time written as days ("365d") or as a Go
// duration ("36h"). Evidence expiries are usually whole days.
type Duration struct{ D time.Duration }

// Day is 24 hours; calendars do not matter for evidence expiry.
const Day = 24 * time.Hour

// maxDuration bounds parsed durations to ten years.
const maxDuration = 3660 * Day

// ParseDuration reads "Nd" or a Go duration string.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseUint(n, 10, 16)
		if err != nil {
			return Duration{}, fmt.Errorf("duration %q: days must be a whole number, such as 90d", s)
		}
		d = time.Duration(days) * Day
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return Duration{}, fmt.Errorf("duration %q: write days (90d) or hours (36h)", s)
		}
	}
	if d < 0 || d > maxDuration {
		return Duration{}, fmt.Errorf("duration %q must be between 0 and 3660d", s)
	}
	return Duration{d}, nil
}

// String writes whole days as "Nd" and anything else as a Go duration.
func (d Duration) String() string {
	if d.D > 0 && d.D%Day == 0 {
		return strconv.FormatInt(int64(d.D/Day), 10) + "d"
	}
	return d.D.String()
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: a duration must be a string such as 365d", n.Line)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration must be a string such as 365d")
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Window is how old the newest evidence of a control may be before the
// control counts as stale. It is a little longer than the frequency so a
// run that lands late on schedule does not flap.
func (f Frequency) Window() time.Duration {
	switch f {
	case Continuous:
		return Day
	case Daily:
		return 2 * Day
	case Weekly:
		return 8 * Day
	case Monthly:
		return 35 * Day
	case Quarterly:
		return 95 * Day
	default:
		return 370 * Day
	}
}

// SampleSize is how many occurrences an auditor usually tests for a
// control of this frequency over an observation period.
func (f Frequency) SampleSize() int {
	switch f {
	case Continuous:
		return 25
	case Daily:
		return 25
	case Weekly:
		return 10
	case Monthly:
		return 3
	case Quarterly:
		return 2
	default:
		return 1
	}
}
