package vendor

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// dateLayout is how dates appear in results.
const dateLayout = "2006-01-02"

const monthPattern = `(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?`

var (
	dateRe      = regexp.MustCompile(`(?i)\b(?:(` + monthPattern + `)\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})|(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(` + monthPattern + `),?\s+(\d{4})|(\d{4})-(\d{2})-(\d{2})|(\d{1,2})/(\d{1,2})/(\d{4}))\b`)
	rangeJoinRe = regexp.MustCompile(`(?i)^\s*,?\s*(?:to|through|thru|until|till|and|-|–|—)\s*(?:the\s+)?$`)
)

var months = map[string]time.Month{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

// dateMatch is a date found in text.
type dateMatch struct {
	start, end int
	t          time.Time
}

// hasYear reports whether s holds a four-digit year from 1990 to 2100,
// which every date pattern needs; it spares the date regexp most text.
func hasYear(s string) bool {
	for i := 0; i+3 < len(s); i++ {
		if (s[i] == '1' && s[i+1] == '9' || s[i] == '2' && (s[i+1] == '0' || s[i+1] == '1')) && isDigit(s[i+2]) && isDigit(s[i+3]) && (i+4 == len(s) || !isDigit(s[i+4])) && (i == 0 || !isDigit(s[i-1])) {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// findDates returns the valid dates in s, in order.
func findDates(s string) []dateMatch {
	if !hasYear(s) {
		return nil
	}
	var out []dateMatch
	for _, m := range dateRe.FindAllStringSubmatchIndex(s, -1) {
		g := func(i int) string {
			if m[2*i] < 0 {
				return ""
			}
			return s[m[2*i]:m[2*i+1]]
		}
		var y, d int
		var mo time.Month
		switch {
		case g(1) != "":
			mo, d, y = monthOf(g(1)), atoi(g(2)), atoi(g(3))
		case g(5) != "":
			d, mo, y = atoi(g(4)), monthOf(g(5)), atoi(g(6))
		case g(7) != "":
			y, mo, d = atoi(g(7)), time.Month(atoi(g(8))), atoi(g(9))
		default:
			mo, d, y = time.Month(atoi(g(10))), atoi(g(11)), atoi(g(12))
		}
		t, ok := civilDate(y, mo, d)
		if !ok {
			continue
		}
		out = append(out, dateMatch{m[0], m[1], t})
	}
	return out
}

func monthOf(s string) time.Month {
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	if len(s) < 3 {
		return 0
	}
	return months[s[:3]]
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// civilDate builds a UTC date, rejecting impossible ones such as 31 June.
func civilDate(y int, m time.Month, d int) (time.Time, bool) {
	if y < 1990 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return t, t.Day() == d
}

// dateRange is two dates joined by "to", "through", a dash and the like.
type dateRange struct {
	from, to dateMatch
}

// findRanges returns the date ranges in s.
func findRanges(s string) []dateRange {
	ds := findDates(s)
	var out []dateRange
	for i := 0; i+1 < len(ds); i++ {
		if rangeJoinRe.MatchString(s[ds[i].end:ds[i+1].start]) && !ds[i+1].t.Before(ds[i].t) {
			out = append(out, dateRange{ds[i], ds[i+1]})
			i++
		}
	}
	return out
}

// addMonths adds n calendar months, clamping to the month's last day.
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 0, 0, 0, 0, time.UTC)
}

// parseDate reads a date as stored in results (YYYY-MM-DD).
func parseDate(s string) (time.Time, bool) {
	t, err := time.Parse(dateLayout, s)
	return t, err == nil
}
