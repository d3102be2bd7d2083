package vendor

import (
	"regexp"
	"strings"
	"unicode"
)

const apostrophe = `['’]`

var (
	auditorHeadRe  = regexp.MustCompile(`(?i)(independent\s+service\s+auditors?` + apostrophe + `?s?` + apostrophe + `?\s+report|report\s+of\s+(the\s+)?independent\s+(service\s+)?(auditors?|accountants?)|independent\s+(accountants?|auditors?|practitioners?)` + apostrophe + `?s?` + apostrophe + `?\s+(assurance\s+)?report|service\s+auditors?` + apostrophe + `?s?` + apostrophe + `?\s+report)`)
	afterAuditorRe = regexp.MustCompile(`(?i)(management` + apostrophe + `?s?\s+(assertion|statement|report)|assertion\s+(of|by)\s+.{0,60}management|description\s+of\s+.{0,60}system|system\s+description|^section\s+(2|ii|two|3|iii)\b|^(2|ii|3|iii)[.)]\s)`)
	examinedRe     = regexp.MustCompile(`(?i)\b(we have examined|in our opinion|we were engaged to examine)\b`)

	reportOnRe  = regexp.MustCompile(`(?i)\breport\s+on\s+(?:the\s+)?(?:controls\s+(?:at|of)\s+)?(?:the\s+)?(.{2,80}?)` + apostrophe + `s?\s+(?:[\w-]+\s+){0,3}(?:description|system|platform|services?|products?|solutions?|applications?)\b`)
	examinedOrg = regexp.MustCompile(`(?i)\b(?:examined\s+management` + apostrophe + `s\s+assertion\s+that\s+the\s+controls\s+(?:within|at|of)|we\s+have\s+examined(?:\s+the\s+(?:accompanying\s+)?description\s+of)?)\s+(?:the\s+)?(.{2,80}?)` + apostrophe + `s?\s+(?:accompanying\s+)?(?:[\w-]+\s+){0,3}(?:description|system|assertion|controls|platform|services?)\b`)
	companyRe   = regexp.MustCompile(`(?:,?\s+(?:Inc\.?|LLC|L\.L\.C\.|Ltd\.?|Limited|Corp\.?|Corporation|Co\.|GmbH|AG|S\.A\.|SAS|B\.V\.|BV|PLC|plc|Pty\.? Ltd\.?|LLP))$`)
	// A CPA firm's name ends in a legal form such firms use.
	firmRe    = regexp.MustCompile(`\b((?:[A-Z][\w'’.-]*|&|and|of)(?:[ ,]+(?:[A-Z][\w'’.-]*|&|and|of)){0,6}?,?\s+(?:CPAs?(?:,?\s+(?:P\.C\.|PC|LLP|PLLC|LLC|P\.A\.|PA)(?:\s|[,;)]|$))?|LLP|L\.L\.P\.|LLC|PLLC|P\.C\.|P\.A\.|PC|Chartered Accountants|CPA Firm|& Co\.?|& Company))(?:\b|[\s,;)]|$)`)
	firmCueRe = regexp.MustCompile(`(?i)(?:\bby\b|/s/|signed|^)\s*$`)
)

// auditorSection finds the independent service auditor's report: the
// first heading naming it that is followed by examination wording, up to
// the next major section. It returns line indexes, or -1 when absent.
func (d *textDoc) auditorSection() (from, to int) {
	for i := 0; i < len(d.lines); i++ {
		l := d.lines[i]
		if l.toc || l.boiler || !auditorHeadRe.MatchString(l.norm) {
			continue
		}
		end := min(len(d.lines), i+160)
		found := false
		for j := i; j < end && !found; j++ {
			found = examinedRe.MatchString(d.lines[j].norm)
		}
		if !found {
			continue
		}
		stop := i + 1
		for ; stop < len(d.lines); stop++ {
			if d.lines[stop].heading && afterAuditorRe.MatchString(d.lines[stop].norm) && !auditorHeadRe.MatchString(d.lines[stop].norm) {
				break
			}
		}
		stop = min(stop, i+400)
		// A heading that leads straight into another section, as in a
		// table of contents, is not the report itself.
		found = false
		for j := i; j < stop && !found; j++ {
			found = examinedRe.MatchString(d.lines[j].norm)
		}
		if found {
			return i, stop
		}
	}
	return -1, -1
}

// serviceOrganization finds the company the report is about: from "Report
// on X's ...", "we have examined X's ...", or a company name on the first
// lines of the document.
func serviceOrganization(d *textDoc) *Field {
	var head *Field
	for _, l := range d.headLines(12) {
		if len(l.norm) <= 80 && companyRe.MatchString(l.norm) {
			head = &Field{Value: cleanOrgName(l.norm), Page: l.page, Quote: l.norm}
			break
		}
	}
	for i, re := range []*regexp.Regexp{reportOnRe, examinedOrg} {
		f := d.find(re, func(s string, m []int) string {
			name := cleanOrgName(s[m[2]:m[3]])
			if strings.EqualFold(name, "management") || !startsUpper(name) {
				return ""
			}
			return name
		}, []string{"report on", "examine"}[i])
		if f == nil {
			continue
		}
		// The title page usually gives the full legal name.
		if head != nil && strings.HasPrefix(strings.ToLower(head.Value), strings.ToLower(strings.TrimRight(f.Value, ".,"))) {
			return head
		}
		return f
	}
	if head != nil {
		return head
	}
	for _, l := range d.headLines(12) {
		if words := strings.Fields(l.norm); len(words) >= 2 && len(words) <= 5 && isHeading(l.norm) && !socTitleRe.MatchString(l.norm) && !genericTitleRe.MatchString(l.norm) {
			return &Field{Value: l.norm, Page: l.page, Quote: l.norm}
		}
	}
	return nil
}

func startsUpper(s string) bool {
	for _, r := range s {
		return unicode.IsUpper(r) || unicode.IsDigit(r)
	}
	return false
}

var genericTitleRe = regexp.MustCompile(`(?i)\b(report|description|services?|contents|section|agreement|letter|summary|index|policy|policies|assessment|diagram|confidential|proprietary|questionnaire|criteria)\b`)

func cleanOrgName(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "the ")
	s = strings.TrimPrefix(s, "The ")
	return strings.Trim(s, " ,;:\"“”")
}

// serviceAuditor finds the CPA firm: a firm name in the auditor's report,
// else one after "by" or a signature on the first pages. Names ending in
// forms CPA firms use (LLP, CPAs, P.C.) beat LLC, and the service
// organization itself is never taken for its auditor.
func serviceAuditor(d *textDoc, from, to int, org *Field) *Field {
	orgName := ""
	if org != nil {
		orgName = strings.ToLower(org.Value)
	}
	search := func(ps []para, needCue bool) *Field {
		var best *Field
		bestScore := 0
		for _, p := range ps {
			for _, m := range firmRe.FindAllStringSubmatchIndex(p.text, -1) {
				name := strings.TrimRight(strings.TrimLeft(p.text[m[2]:m[3]], "&, "), " ,;)")
				lower := strings.ToLower(name)
				if strings.HasPrefix(lower, "and ") || strings.HasPrefix(lower, "of ") {
					continue
				}
				if orgName != "" && (strings.Contains(lower, orgName) || strings.Contains(orgName, strings.TrimSuffix(strings.TrimSuffix(lower, " llc"), ","))) {
					continue
				}
				if needCue && !firmCueRe.MatchString(p.text[max(0, m[2]-12):m[2]]) {
					continue
				}
				score := 2
				if strings.HasSuffix(name, "LLC") {
					score = 1
				}
				if score > bestScore {
					best, bestScore = &Field{Value: name, Page: p.page, Quote: quote(p.text, m[2], m[3])}, score
				}
			}
		}
		return best
	}
	if from >= 0 {
		if f := search(d.parasIn(from, to), false); f != nil {
			return f
		}
	}
	var head []para
	for _, p := range d.paras {
		if p.page <= 3 {
			head = append(head, p)
		}
	}
	return search(head, true)
}
