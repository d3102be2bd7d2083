package vendor

import (
	"time"
)

// packet is a set of analysed documents with the facts the check and the
// red flags share.
type packet struct {
	docs     []DocumentResult
	asOf     time.Time
	policy   Policy
	prior    []Review
	primary  int // index of the main SOC report, or -1
	bridges  []int
	pentests []int
	docFlags [][]string
}

func newPacket(docs []DocumentResult, asOf time.Time, policy Policy, prior []Review) *packet {
	p := &packet{docs: docs, asOf: asOf, policy: policy, prior: prior, primary: -1, docFlags: make([][]string, len(docs))}
	rank := map[Kind]int{KindSOC2Type2: 3, KindSOC2Type1: 2, KindSOC3: 1}
	var bestEnd time.Time
	for i, d := range docs {
		if d.Status != DocOK {
			continue
		}
		switch d.Kind {
		case KindBridgeLetter:
			p.bridges = append(p.bridges, i)
		case KindPenTest:
			p.pentests = append(p.pentests, i)
		}
		r := rank[d.Kind]
		if r == 0 {
			continue
		}
		end, _ := coverageEnd(d.Fields)
		if p.primary < 0 || r > rank[docs[p.primary].Kind] || r == rank[docs[p.primary].Kind] && end.After(bestEnd) {
			p.primary, bestEnd = i, end
		}
	}
	return p
}

// coverageEnd is the last day a report speaks for: its period end, or its
// as-of date for a Type 1.
func coverageEnd(x *Extraction) (time.Time, *Field) {
	if x == nil {
		return time.Time{}, nil
	}
	for _, f := range []*Field{x.PeriodEnd, x.AsOf} {
		if f == nil {
			continue
		}
		if t, ok := parseDate(f.Value); ok {
			return t, f
		}
	}
	return time.Time{}, nil
}

func (p *packet) primaryDoc() *DocumentResult {
	if p.primary < 0 {
		return nil
	}
	return &p.docs[p.primary]
}

// cite turns a field of document i into a citation.
func (p *packet) cite(i int, f *Field) Citation {
	if f == nil {
		return Citation{Document: p.docs[i].Name}
	}
	return Citation{Document: p.docs[i].Name, Page: f.Page, Quote: f.Quote}
}

// bridgeCover is the bridge letter that reaches furthest, with the date its
// coverage ends.
type bridgeCover struct {
	doc     int
	through time.Time
	b       *Bridge
}

// bestBridge returns the bridge letter whose coverage reaches the latest
// date and that extends the primary report (when both state its period).
func (p *packet) bestBridge() (bridgeCover, bool) {
	var best bridgeCover
	found := false
	primaryEnd, _ := coverageEnd(p.primaryFields())
	for _, i := range p.bridges {
		b := p.docs[i].Fields.Bridge
		if b == nil {
			continue
		}
		through := time.Time{}
		for _, f := range []*Field{b.GapTo, b.LetterDate} {
			if f == nil {
				continue
			}
			if t, ok := parseDate(f.Value); ok {
				through = t
				break
			}
		}
		if through.IsZero() {
			continue
		}
		if b.ReportPeriodEnd != nil && !primaryEnd.IsZero() {
			if end, ok := parseDate(b.ReportPeriodEnd.Value); ok && absDays(end.Sub(primaryEnd)) > 31 {
				continue
			}
		}
		if !found || through.After(best.through) {
			best, found = bridgeCover{doc: i, through: through, b: b}, true
		}
	}
	return best, found
}

func (p *packet) primaryFields() *Extraction {
	if d := p.primaryDoc(); d != nil {
		return d.Fields
	}
	return nil
}

func absDays(d time.Duration) float64 {
	days := d.Hours() / 24
	if days < 0 {
		return -days
	}
	return days
}

// latestPenTest returns the penetration test with the latest date.
func (p *packet) latestPenTest() (int, time.Time) {
	best, bestT := -1, time.Time{}
	for _, i := range p.pentests {
		pt := p.docs[i].Fields.PenTest
		if pt == nil || pt.Date == nil {
			if best < 0 {
				best = i
			}
			continue
		}
		if t, ok := parseDate(pt.Date.Value); ok && t.After(bestT) {
			best, bestT = i, t
		}
	}
	return best, bestT
}

// coverage summarises the dates the renewal calendar tracks.
func (p *packet) coverage() Coverage {
	var c Coverage
	if d := p.primaryDoc(); d != nil {
		c.ReportKind = d.Kind
		if end, _ := coverageEnd(d.Fields); !end.IsZero() {
			c.PeriodEnd = end.Format(dateLayout)
			c.StaleOn = addMonths(end, p.policy.MaxReportAgeMonths).Format(dateLayout)
			c.BridgeDueOn = end.AddDate(0, 0, 1).Format(dateLayout)
			if bc, ok := p.bestBridge(); ok && bc.through.After(end) {
				c.BridgeThrough = bc.through.Format(dateLayout)
				c.BridgeDueOn = bc.through.AddDate(0, 0, p.policy.BridgeGraceDays).Format(dateLayout)
			}
		}
	}
	if _, t := p.latestPenTest(); !t.IsZero() {
		c.PenTestDate = t.Format(dateLayout)
		c.PenTestDueOn = addMonths(t, p.policy.MaxPenTestAgeMonths).Format(dateLayout)
	}
	return c
}
