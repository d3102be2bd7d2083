package vendor

import (
	"regexp"
	"time"
)

// Bridge holds what a bridge (gap) letter says.
type Bridge struct {
	LetterDate *Field `json:"letter_date,omitempty"`
	// Report is the sentence naming the report the letter extends, and
	// ReportPeriodEnd that report's period end.
	Report          *Field `json:"report,omitempty"`
	ReportPeriodEnd *Field `json:"report_period_end,omitempty"`
	GapFrom         *Field `json:"gap_from,omitempty"`
	GapTo           *Field `json:"gap_to,omitempty"`
	// NoMaterialChanges is "yes" when the letter states there were no
	// material changes, "no" when it lists changes.
	NoMaterialChanges *Field `json:"no_material_changes,omitempty"`
	// Qualifier is "except for" wording that weakens that statement.
	Qualifier *Field `json:"qualifier,omitempty"`
}

var (
	noChangesRe     = regexp.MustCompile(`(?i)\b(no|not\s+aware\s+of\s+any|there\s+(have|has)\s+been\s+no|were\s+no|did\s+not\s+identify\s+any)\s+(material|significant)\s+changes?`)
	changesRe       = regexp.MustCompile(`(?i)\b(the\s+following|these)\s+(material|significant)\s+changes|\bmaterial\s+changes?\s+(occurred|were\s+made|have\s+been\s+made|include)`)
	qualifierRe     = regexp.MustCompile(`(?i)\bexcept\s+(for|as)\b|\bother\s+than\b|\bwith\s+the\s+exception\s+of\b|\bapart\s+from\b|\bsave\s+for\b`)
	reportRefRe     = regexp.MustCompile(`(?i)\b(soc\s*[123]|system\s+and\s+organi[sz]ation\s+controls|type\s*(1|2|i|ii))\b`)
	throughLetterRe = regexp.MustCompile(`(?i)\b(through|to|until)\s+(the\s+date\s+of\s+this\s+letter|the\s+present|today|the\s+date\s+hereof)`)
	letterDateRe    = regexp.MustCompile(`(?i)\b(date|dated)\s*:?\s*$`)
)

// bridgeLetter reads a bridge letter: the report it extends, the gap it
// covers, its date, and whether it states without reservation that
// nothing material changed.
func bridgeLetter(d *textDoc) *Bridge {
	b := &Bridge{}
	var reportEnd time.Time
	for _, p := range d.paras {
		for _, s := range sentences(p.text) {
			rs := findRanges(s.text)
			if len(rs) == 0 {
				continue
			}
			r := rs[0]
			if b.Report == nil && reportRefRe.MatchString(s.text) {
				b.Report = &Field{Value: "report for " + r.from.t.Format(dateLayout) + " to " + r.to.t.Format(dateLayout), Page: p.page, Quote: quote(p.text, s.start, s.start+len(s.text))}
				b.ReportPeriodEnd = &Field{Value: r.to.t.Format(dateLayout), Page: p.page, Quote: b.Report.Quote}
				reportEnd = r.to.t
				rs = rs[1:]
			}
			for _, g := range rs {
				if b.GapFrom == nil && !reportEnd.IsZero() && !g.from.t.Before(reportEnd.AddDate(0, 0, -1)) {
					q := quote(p.text, s.start+g.from.start, s.start+g.to.end)
					b.GapFrom = &Field{Value: g.from.t.Format(dateLayout), Page: p.page, Quote: q}
					b.GapTo = &Field{Value: g.to.t.Format(dateLayout), Page: p.page, Quote: q}
				}
			}
		}
	}
	b.LetterDate = letterDate(d)
	if b.GapTo == nil && !reportEnd.IsZero() && b.LetterDate != nil {
		if f := d.find(throughLetterRe, nil); f != nil {
			b.GapFrom = &Field{Value: reportEnd.AddDate(0, 0, 1).Format(dateLayout), Page: f.Page, Quote: f.Quote}
			b.GapTo = &Field{Value: b.LetterDate.Value, Page: f.Page, Quote: f.Quote}
		}
	}
	if f := d.find(noChangesRe, nil); f != nil {
		b.NoMaterialChanges = &Field{Value: "yes", Page: f.Page, Quote: f.Quote}
		for _, p := range d.paras {
			for _, s := range sentences(p.text) {
				if noChangesRe.MatchString(s.text) {
					if m := qualifierRe.FindStringIndex(s.text); m != nil && b.Qualifier == nil {
						b.Qualifier = &Field{Value: s.text[m[0]:m[1]], Page: p.page, Quote: quote(p.text, s.start, s.start+len(s.text))}
					}
				}
			}
		}
	} else if f := d.find(changesRe, nil); f != nil {
		b.NoMaterialChanges = &Field{Value: "no", Page: f.Page, Quote: f.Quote}
	}
	return b
}

// letterDate finds a letter's date: a date on a line of its own near the
// top, one after "Date:", or failing that the latest date in the letter
// that is not part of a range.
func letterDate(d *textDoc) *Field {
	for _, l := range d.headLines(15) {
		ds := findDates(l.norm)
		if len(ds) != 1 {
			continue
		}
		rest := l.norm[:ds[0].start] + l.norm[ds[0].end:]
		if placeLineRe.MatchString(trimSpacePunct(rest)) || letterDateRe.MatchString(l.norm[:ds[0].start]) {
			return &Field{Value: ds[0].t.Format(dateLayout), Page: l.page, Quote: l.norm}
		}
	}
	var best *Field
	var bestT time.Time
	for _, p := range d.paras {
		inRange := map[int]bool{}
		for _, r := range findRanges(p.text) {
			inRange[r.from.start], inRange[r.to.start] = true, true
		}
		for _, dm := range findDates(p.text) {
			if !inRange[dm.start] && dm.t.After(bestT) {
				bestT = dm.t
				best = &Field{Value: dm.t.Format(dateLayout), Page: p.page, Quote: quote(p.text, dm.start, dm.end)}
			}
		}
	}
	return best
}

func trimSpacePunct(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == ',' || s[0] == '.') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == ',' || s[len(s)-1] == '.') {
		s = s[:len(s)-1]
	}
	return s
}
