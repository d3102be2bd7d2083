package vendor

import (
	"regexp"
	"sort"
	"strings"
	"time"
)

var (
	periodCueRe   = regexp.MustCompile(`(?i)(review|examination|reporting|report|audit|coverage|testing|specified)\s+period|period\s+of\s+(the\s+)?examination|for\s+the\s+(twelve[- ]month\s+|12[- ]month\s+)?period|throughout\s+the\s+period|covering\s+the\s+period|period\s+covered|the\s+period\s+from|for\s+the\s+period\s+from`)
	yearlessMDRe  = regexp.MustCompile(`(?i)\b(` + monthPattern + `)\s+(\d{1,2})(?:st|nd|rd|th)?\s*,?\s*(?:to|through|thru|until|-|–|—)\s*(` + monthPattern + `)\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b`)
	yearlessDMRe  = regexp.MustCompile(`(?i)\b(\d{1,2})(?:st|nd|rd|th)?\s+(` + monthPattern + `)\s*(?:to|through|thru|until|-|–|—)\s*(\d{1,2})(?:st|nd|rd|th)?\s+(` + monthPattern + `),?\s+(\d{4})\b`)
	periodEndedRe = regexp.MustCompile(`(?i)\b(?:twelve|12)[- ]months?\s+(?:period\s+)?end(?:ed|ing)\s+$|\byear\s+end(?:ed|ing)\s+$`)
	asOfRe        = regexp.MustCompile(`(?i)\bas\s+of\s+$`)
	reportDateRe  = regexp.MustCompile(`(?i)\b(?:report\s+(?:was\s+)?(?:issued|dated|signed)|date\s+of\s+(?:the\s+)?(?:(?:service\s+)?auditor` + apostrophe + `?s?\s+)?report|report\s+date|issue\s+date|date\s+issued|issued\s+on|dated)\s*(?:on|:)?\s*$`)
	placeLineRe   = regexp.MustCompile(`^(?:(?i:dated?|date of (?:the )?report|report date)\s*:?|` + placeName + `(?:,\s*` + placeName + `){0,2},?)?$`)
	rangeTailRe   = regexp.MustCompile(`(?i)(\b(to|through|thru|until|from|and|ended|ending|of|period)|[-–—])\s*$`)
)

// placeName is a city or state: one to four capitalized words.
const placeName = `[A-Z][A-Za-z.'-]*(?:\s+[A-Z][A-Za-z.'-]*){0,3}`

// period is a candidate reporting period.
type period struct {
	from, to time.Time
	page     int
	quote    string
	score    int
	order    int
}

// reportPeriod picks the report's period among all date ranges in the
// document: the one repeated most, found early, introduced by words such
// as "for the period" and spanning months rather than days. A window of
// days quoted in an exception ("during the period 3 August through 19
// September") loses to it.
func reportPeriod(d *textDoc) (start, end *Field) {
	var cands []period
	add := func(p para, from, to time.Time, s, e int) {
		c := period{from: from, to: to, page: p.page, quote: quote(p.text, s, e), score: 1, order: len(cands)}
		before := strings.ToLower(p.text[max(0, s-90):s])
		if p.page <= 3 {
			c.score += 3
		}
		if periodCueRe.MatchString(before) {
			c.score += 2
		}
		switch days := to.Sub(from).Hours() / 24; {
		case days >= 60 && days <= 400:
			c.score += 2
		case days < 30:
			c.score -= 3
		}
		cands = append(cands, c)
	}
	for _, p := range d.paras {
		for _, r := range findRanges(p.text) {
			add(p, r.from.t, r.to.t, r.from.start, r.to.end)
		}
		if !hasYear(p.text) {
			continue
		}
		for _, re := range []*regexp.Regexp{yearlessMDRe, yearlessDMRe} {
			for _, m := range re.FindAllStringSubmatchIndex(p.text, -1) {
				g := func(i int) string { return p.text[m[2*i]:m[2*i+1]] }
				var m1, m2 time.Month
				var d1, d2 int
				if re == yearlessMDRe {
					m1, d1, m2, d2 = monthOf(g(1)), atoi(g(2)), monthOf(g(3)), atoi(g(4))
				} else {
					d1, m1, d2, m2 = atoi(g(1)), monthOf(g(2)), atoi(g(3)), monthOf(g(4))
				}
				y := atoi(g(5))
				to, ok2 := civilDate(y, m2, d2)
				y1 := y
				if m1 > m2 || m1 == m2 && d1 > d2 {
					y1--
				}
				from, ok1 := civilDate(y1, m1, d1)
				if ok1 && ok2 {
					add(p, from, to, m[0], m[1])
				}
			}
		}
		for _, dm := range findDates(p.text) {
			if periodEndedRe.MatchString(p.text[max(0, dm.start-40):dm.start]) {
				add(p, dm.t.AddDate(-1, 0, 1), dm.t, max(0, dm.start-40), dm.end)
			}
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	type total struct {
		first period
		score int
	}
	totals := map[[2]time.Time]*total{}
	for _, c := range cands {
		k := [2]time.Time{c.from, c.to}
		if t, ok := totals[k]; ok {
			t.score += c.score
			continue
		}
		totals[k] = &total{first: c, score: c.score}
	}
	list := make([]*total, 0, len(totals))
	for _, t := range totals {
		list = append(list, t)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].score != list[j].score {
			return list[i].score > list[j].score
		}
		return list[i].first.order < list[j].first.order
	})
	best := list[0].first
	if list[0].score <= 0 {
		return nil, nil
	}
	return &Field{Value: best.from.Format(dateLayout), Page: best.page, Quote: best.quote},
		&Field{Value: best.to.Format(dateLayout), Page: best.page, Quote: best.quote}
}

// asOfDate finds the "as of" date of a Type 1 report.
func asOfDate(d *textDoc) *Field {
	for _, p := range d.paras {
		for _, dm := range findDates(p.text) {
			if asOfRe.MatchString(p.text[max(0, dm.start-12):dm.start]) {
				return &Field{Value: dm.t.Format(dateLayout), Page: p.page, Quote: quote(p.text, max(0, dm.start-6), dm.end)}
			}
		}
	}
	return nil
}

// reportDate finds the auditor's signature date: the last line of the
// auditor's report that holds only a date (perhaps after a city), or else
// a date introduced by "report issued", "report date" and the like.
func reportDate(d *textDoc, from, to int) *Field {
	if from >= 0 {
		var last *Field
		prev := ""
		for i := from; i < to; i++ {
			l := d.lines[i]
			if l.norm == "" || l.boiler || l.toc {
				continue
			}
			ds := findDates(l.norm)
			if len(ds) == 1 && !rangeTailRe.MatchString(prev) {
				rest := strings.TrimSpace(l.norm[:ds[0].start] + l.norm[ds[0].end:])
				rest = strings.TrimSuffix(rest, ".")
				if placeLineRe.MatchString(rest) {
					last = &Field{Value: ds[0].t.Format(dateLayout), Page: l.page, Quote: l.norm}
				}
			}
			prev = l.norm
		}
		if last != nil {
			return last
		}
	}
	for _, p := range d.paras {
		if p.page > 3 && (from < 0 || p.first < from || p.first >= to) {
			continue
		}
		for _, dm := range findDates(p.text) {
			if reportDateRe.MatchString(p.text[max(0, dm.start-40):dm.start]) {
				return &Field{Value: dm.t.Format(dateLayout), Page: p.page, Quote: quote(p.text, max(0, dm.start-24), dm.end)}
			}
		}
	}
	return nil
}
