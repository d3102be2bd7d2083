package pii

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"
)

// Sample is one labelled text for evaluation. Span offsets are bytes.
type Sample struct {
	Text  string
	Spans []Finding
	Group int // template or source id, for grouped cross-validation
}

// presidioTypes maps the entity names of presidio-research data sets to
// ours. Types without an equivalent (ORGANIZATION, DATE_TIME, TITLE, ...)
// are left out of the evaluation.
var presidioTypes = map[string]Type{
	"EMAIL_ADDRESS":     Email,
	"EMAIL":             Email,
	"PHONE_NUMBER":      Phone,
	"CREDIT_CARD":       CreditCard,
	"IBAN_CODE":         IBAN,
	"US_SSN":            SSN,
	"US_ITIN":           ITIN,
	"US_PASSPORT":       Passport,
	"US_DRIVER_LICENSE": DriverLicense,
	"IP_ADDRESS":        IPAddress,
	"CRYPTO":            CryptoWallet,
	"PERSON":            Person,
	"GPE":               Location,
	"LOCATION":          Location,
	"STREET_ADDRESS":    Address,
}

// LoadPresidio reads a presidio-research JSON data set: an array of objects
// with full_text, spans (entity_type, start_position, end_position in code
// points) and template_id.
func LoadPresidio(r io.Reader) ([]Sample, error) {
	var recs []struct {
		Text  string `json:"full_text"`
		Spans []struct {
			Type  string `json:"entity_type"`
			Start int    `json:"start_position"`
			End   int    `json:"end_position"`
		} `json:"spans"`
		Template int `json:"template_id"`
	}
	if err := json.NewDecoder(r).Decode(&recs); err != nil {
		return nil, fmt.Errorf("decode presidio data set: %w (want a JSON array of {full_text, spans, template_id})", err)
	}
	out := make([]Sample, 0, len(recs))
	for i, rec := range recs {
		// Code point index to byte offset.
		offs := make([]int, 0, len(rec.Text)+1)
		for b := range rec.Text {
			offs = append(offs, b)
		}
		offs = append(offs, len(rec.Text))
		s := Sample{Text: rec.Text, Group: rec.Template}
		for _, sp := range rec.Spans {
			t, ok := presidioTypes[sp.Type]
			if !ok {
				continue
			}
			if sp.Start < 0 || sp.End > len(offs)-1 || sp.Start >= sp.End {
				return nil, fmt.Errorf("record %d: span %d-%d lies outside its %d-character text", i, sp.Start, sp.End, utf8.RuneCountInString(rec.Text))
			}
			s.Spans = append(s.Spans, Finding{Type: t, Start: offs[sp.Start], End: offs[sp.End], Score: 1})
		}
		out = append(out, s)
	}
	return out, nil
}

// Tally counts matches of one entity type.
type Tally struct {
	Predicted int // findings reported
	Gold      int // labelled spans
	TPPred    int // findings that match a labelled span
	TPGold    int // labelled spans matched by a finding
}

// Precision is the share of findings that match a label.
func (t Tally) Precision() float64 { return ratio(t.TPPred, t.Predicted) }

// Recall is the share of labels that were found.
func (t Tally) Recall() float64 { return ratio(t.TPGold, t.Gold) }

// F1 is the harmonic mean of precision and recall.
func (t Tally) F1() float64 {
	p, r := t.Precision(), t.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Report holds per-type tallies under exact-span and overlap matching.
type Report struct {
	Exact   map[Type]*Tally
	Overlap map[Type]*Tally
}

// Types returns the types that occur in the report, in the standard order.
func (r Report) Types() []Type {
	var ts []Type
	for _, t := range allTypes {
		if r.Overlap[t] != nil {
			ts = append(ts, t)
		}
	}
	return ts
}

// Evaluate scans every sample and compares findings with labels.
func Evaluate(samples []Sample, scan func(string) []Finding) Report {
	r := Report{Exact: map[Type]*Tally{}, Overlap: map[Type]*Tally{}}
	get := func(m map[Type]*Tally, t Type) *Tally {
		if m[t] == nil {
			m[t] = &Tally{}
		}
		return m[t]
	}
	for _, s := range samples {
		found := scan(s.Text)
		for _, g := range s.Spans {
			get(r.Exact, g.Type).Gold++
			get(r.Overlap, g.Type).Gold++
			if slices.ContainsFunc(found, func(f Finding) bool { return f.Type == g.Type && f.Start == g.Start && f.End == g.End }) {
				get(r.Exact, g.Type).TPGold++
			}
			if slices.ContainsFunc(found, func(f Finding) bool { return f.Type == g.Type && f.Start < g.End && g.Start < f.End }) {
				get(r.Overlap, g.Type).TPGold++
			}
		}
		for _, f := range found {
			get(r.Exact, f.Type).Predicted++
			get(r.Overlap, f.Type).Predicted++
			if slices.ContainsFunc(s.Spans, func(g Finding) bool { return f.Type == g.Type && f.Start == g.Start && f.End == g.End }) {
				get(r.Exact, f.Type).TPPred++
			}
			if slices.ContainsFunc(s.Spans, func(g Finding) bool { return f.Type == g.Type && f.Start < g.End && g.Start < f.End }) {
				get(r.Overlap, f.Type).TPPred++
			}
		}
	}
	return r
}
