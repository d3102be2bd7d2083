package vendor

import (
	"regexp"
	"strings"
)

// Kind is what a document in a vendor packet is.
type Kind string

// The document kinds of a vendor packet.
const (
	KindSOC2Type1    Kind = "soc2_type1"
	KindSOC2Type2    Kind = "soc2_type2"
	KindSOC3         Kind = "soc3"
	KindSOC1         Kind = "soc1"
	KindBridgeLetter Kind = "bridge_letter"
	KindPenTest      Kind = "pentest_summary"
	KindDataFlow     Kind = "data_flow"
	KindPolicyIndex  Kind = "policy_index"
	KindDPA          Kind = "dpa"
	KindOther        Kind = "other"
)

// Label is the kind as people write it.
func (k Kind) Label() string {
	switch k {
	case KindSOC2Type1:
		return "SOC 2 Type 1"
	case KindSOC2Type2:
		return "SOC 2 Type 2"
	case KindSOC3:
		return "SOC 3"
	case KindSOC1:
		return "SOC 1"
	case KindBridgeLetter:
		return "bridge letter"
	case KindPenTest:
		return "penetration-test summary"
	case KindDataFlow:
		return "data-flow description"
	case KindPolicyIndex:
		return "policy index"
	case KindDPA:
		return "data processing agreement"
	}
	return "other"
}

// IsSOC reports whether k is a SOC examination report.
func (k Kind) IsSOC() bool {
	return k == KindSOC2Type1 || k == KindSOC2Type2 || k == KindSOC3 || k == KindSOC1
}

var (
	socTitleRe   = regexp.MustCompile(`(?i)\b(?:soc|system\s+and\s+organi[sz]ations?\s+controls?|service\s+organi[sz]ation\s+controls?)\s*[®™]?\s*(?:\(\s*soc\s*\)\s*)?(1|2|3|one|two|three|iii|ii|i)\b`)
	socTypeRe    = regexp.MustCompile(`(?i)\btype\s*(1|2|ii|i|one|two)\b`)
	bridgeRe     = regexp.MustCompile(`(?i)\b(bridge|gap)\s+letter\b`)
	penTestRe    = regexp.MustCompile(`(?i)\b(penetration\s+test(ing)?|pen[- ]?test|security\s+assessment\s+report|red[- ]team\s+(assessment|report)|application\s+security\s+assessment)\b`)
	dpaRe        = regexp.MustCompile(`(?i)\b(data\s+processing\s+(agreement|addendum)|data\s+protection\s+(agreement|addendum)|\bDPA\b)`)
	dataFlowRe   = regexp.MustCompile(`(?i)\bdata[- ]flows?\b\s*(diagram|description|map|overview|documentation)?`)
	policyIdxRe  = regexp.MustCompile(`(?i)\b(polic(y|ies)\s+(index|list|inventory|register|catalog(ue)?|library|summary)|list\s+of\s+(\w+\s+)?policies|(information\s+)?security\s+policies)\b`)
	questionRe   = regexp.MustCompile(`(?i)\b(questionnaire|due diligence (form|response)|rfp response)\b`)
	socStructure = []string{
		"independent service auditor", "management's assertion", "management’s assertion",
		"description of the system", "system description", "trust services criteria",
		"complementary user entity controls", "tests of controls", "service auditor's report",
		"report of independent accountants", "independent accountant's report",
	}
)

// classification is a document's kind with the line that decided it.
type classification struct {
	kind     Kind
	evidence *Field
}

// classify decides a document's kind from its title first: the earliest
// line of the first two pages that names a kind wins. Without a title it
// falls back to the structure of the body.
func classify(d *textDoc) classification {
	head := d.headLines(60)
	best, bestAt := KindOther, len(head)
	var evidence *Field
	for _, c := range []struct {
		re   *regexp.Regexp
		kind Kind
	}{
		{bridgeRe, KindBridgeLetter}, {questionRe, KindOther}, {socTitleRe, KindSOC2Type2},
		{penTestRe, KindPenTest}, {dpaRe, KindDPA}, {dataFlowRe, KindDataFlow}, {policyIdxRe, KindPolicyIndex},
	} {
		if c.kind == KindPolicyIndex && strings.Count(d.lower, "polic") < 4 {
			continue
		}
		for i, l := range head[:bestAt] {
			if len(l.norm) <= 140 && !strings.HasSuffix(l.norm, "?") && c.re.MatchString(l.norm) {
				best, bestAt = c.kind, i
				evidence = &Field{Value: l.norm, Page: l.page, Quote: l.norm}
				break
			}
		}
	}
	if evidence != nil {
		if best == KindSOC2Type2 {
			best = socKind(d, evidence.Value)
		}
		return classification{best, evidence}
	}
	if d.pages <= 4 && (strings.Contains(d.lower, "this letter") || strings.Contains(d.lower, "bridge")) && strings.Contains(d.lower, "material change") {
		for _, p := range d.paras {
			if i := strings.Index(strings.ToLower(p.text), "material change"); i >= 0 {
				return classification{KindBridgeLetter, &Field{Value: "letter on changes since the last report", Page: p.page, Quote: quote(p.text, i, i+15)}}
			}
		}
	}
	hits := 0
	for _, s := range socStructure {
		if strings.Contains(d.lower, s) {
			hits++
		}
	}
	if hits >= 3 {
		for _, p := range d.paras {
			if m := socTitleRe.FindStringIndex(p.text); m != nil {
				return classification{socKind(d, p.text[m[0]:]), &Field{Value: p.text[m[0]:m[1]], Page: p.page, Quote: quote(p.text, m[0], m[1])}}
			}
		}
		for _, p := range d.paras {
			if i := strings.Index(strings.ToLower(p.text), "trust services criteria"); i >= 0 {
				return classification{socKind(d, "soc 2"), &Field{Value: "trust services criteria", Page: p.page, Quote: quote(p.text, i, i+23)}}
			}
		}
	}
	return classification{KindOther, nil}
}

// socKind reads the SOC number from a title and, for SOC 2, the type from
// the title or, failing that, from the wording of the opinion.
func socKind(d *textDoc, title string) Kind {
	m := socTitleRe.FindStringSubmatch(title)
	n := ""
	if m != nil {
		n = strings.ToLower(m[1])
	}
	switch n {
	case "1", "one", "i":
		return KindSOC1
	case "3", "three", "iii":
		return KindSOC3
	}
	if soc1Signals(d.lower) && !strings.Contains(d.lower, "trust services") {
		return KindSOC1
	}
	if t := socTypeRe.FindStringSubmatch(title); t != nil {
		return typeKind(t[1])
	}
	for _, l := range d.headLines(60) {
		if strings.Contains(strings.ToLower(l.norm), "soc") || strings.Contains(strings.ToLower(l.norm), "report") {
			if t := socTypeRe.FindStringSubmatch(l.norm); t != nil {
				return typeKind(t[1])
			}
		}
	}
	switch {
	case strings.Contains(d.lower, "operating effectiveness") || strings.Contains(d.lower, "operated effectively throughout"):
		return KindSOC2Type2
	case strings.Contains(d.lower, "suitability of the design") || strings.Contains(d.lower, "suitably designed"):
		return KindSOC2Type1
	}
	return KindSOC2Type2
}

// soc1Signals reports wording that marks a SOC 1 report: financial
// reporting controls, its attestation standards, control objectives.
func soc1Signals(lower string) bool {
	return strings.Contains(lower, "internal control over financial reporting") || strings.Contains(lower, "icfr") ||
		strings.Contains(lower, "at-c 320") || strings.Contains(lower, "isae 3402") ||
		strings.Contains(lower, "ssae 18") && strings.Contains(lower, "control objectives")
}

func typeKind(t string) Kind {
	switch strings.ToLower(t) {
	case "1", "i", "one":
		return KindSOC2Type1
	}
	return KindSOC2Type2
}

// headLines returns up to n meaningful lines from the first two pages.
func (d *textDoc) headLines(n int) []docLine {
	var out []docLine
	for _, l := range d.lines {
		if l.page > 2 || len(out) >= n {
			break
		}
		if l.norm != "" && !l.boiler && !l.toc {
			out = append(out, l)
		}
	}
	return out
}
