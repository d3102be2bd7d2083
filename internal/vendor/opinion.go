package vendor

import (
	"regexp"
	"strings"
)

// Opinions an auditor can give.
const (
	OpinionUnqualified = "unqualified"
	OpinionQualified   = "qualified"
	OpinionAdverse     = "adverse"
	OpinionDisclaimer  = "disclaimer"
)

var (
	inOurOpinionRe = regexp.MustCompile(`(?i)\bin\s+our\s+opinion\b`)
	disclaimerRe   = regexp.MustCompile(`(?i)\bdisclaimer\s+of\s+opinion\b|\b(not\s+been\s+able|were\s+unable|was\s+unable|unable)\s+to\s+obtain\s+sufficient\s+appropriate\s+evidence|\bwe\s+do\s+not\s+express\s+an\s+opinion\s+on\s+(whether|the\s+(description|fairness|suitability|design|operating|accompanying|service\s+organization|system)|management` + apostrophe + `s\s+assertion)`)
	adverseHeadRe  = regexp.MustCompile(`(?i)\badverse\s+opinion\b`)
	adverseRe      = regexp.MustCompile(`(?i)because\s+of\s+the\s+significance\s+of\s+the\s+matters?\b.{0,400}?\b(does\s+not\s+present|do\s+not\s+present|(were|was)\s+not\s+suitably\s+designed|did\s+not\s+operate\s+effectively|(is|are)\s+not\s+fairly\s+stated)`)
	qualifiedRe    = regexp.MustCompile(`(?i)\bin\s+our\s+opinion\s*,?\s*except\s+for\b|\bqualified\s+opinion\b|\bexcept\s+for\s+the\s+(effects?|possible\s+effects?|matters?)\s+(of|described|referred)`)
	cleanOpinionRe = regexp.MustCompile(`(?i)(presents?\s+fairly|fairly\s+presents?|suitably\s+designed|operated\s+effectively|operating\s+effectively|fairly\s+stated|in\s+all\s+material\s+respects)`)
	expressNoRe    = regexp.MustCompile(`(?i)management` + apostrophe + `s\s+response|other\s+information|complementary|not\s+covered\s+by|information\s+in\s+section`)
)

// opinion classifies the auditor's opinion from the opinion paragraphs of
// the auditor's report. The most severe wording found wins: disclaimer,
// adverse, qualified, then unqualified. Sentences that only decline to
// opine on side matters, such as management's responses to exceptions, do
// not count as a disclaimer.
func opinion(d *textDoc, from, to int) *Field {
	ps := d.paras
	if from >= 0 {
		ps = d.parasIn(from, to)
	}
	var found [4]*Field
	for _, p := range ps {
		text := p.text
		if m := disclaimerRe.FindStringIndex(text); m != nil && !expressNoRe.MatchString(sentenceAt(text, m[0])) {
			found[3] = keepFirst(found[3], OpinionDisclaimer, p, m)
		}
		if m := adverseHeadRe.FindStringIndex(text); m != nil && !strings.Contains(strings.ToLower(text[max(0, m[0]-12):m[0]]), "basis") || adverseRe.MatchString(text) {
			if m == nil {
				m = adverseRe.FindStringIndex(text)
			}
			found[2] = keepFirst(found[2], OpinionAdverse, p, m)
		}
		if m := qualifiedRe.FindStringIndex(text); m != nil {
			found[1] = keepFirst(found[1], OpinionQualified, p, m)
		}
		if m := inOurOpinionRe.FindStringIndex(text); m != nil && cleanOpinionRe.MatchString(text[m[1]:]) {
			found[0] = keepFirst(found[0], OpinionUnqualified, p, m)
		}
	}
	for i := 3; i >= 0; i-- {
		if found[i] != nil {
			return found[i]
		}
	}
	return nil
}

func keepFirst(cur *Field, value string, p para, m []int) *Field {
	if cur != nil {
		return cur
	}
	return &Field{Value: value, Page: p.page, Quote: quote(p.text, m[0], m[1])}
}

// sentenceAt returns the sentence of s that contains position i.
func sentenceAt(s string, i int) string {
	start := strings.LastIndex(s[:i], ". ")
	if start < 0 {
		start = 0
	}
	end := strings.Index(s[i:], ". ")
	if end < 0 {
		return s[start:]
	}
	return s[start : i+end]
}
