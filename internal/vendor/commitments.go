package vendor

import (
	"regexp"
	"strings"
)

var (
	trainWordRe    = regexp.MustCompile(`(?i)\b(train|trains|training|trained|fine[- ]?tun\w*|improve\s+(our|its|the|their)\s+(models?|ai|algorithms?))\b`)
	customerDataRe = regexp.MustCompile(`(?i)\b(customer|client|user|your|tenant|subscriber)s?` + apostrophe + `?\s+(data|content|inputs?|prompts?|information|outputs?|conversations?)\b|\bpersonal\s+data\b|\bprompts?\s+and\s+(outputs|responses|completions)\b`)
	trainNegRe     = regexp.MustCompile(`(?i)\b(do|does|will|shall|must|would)\s+not\s+(use|train|be\s+used|utili[sz]e)|\b(is|are)\s+not\s+(used|utili[sz]ed)|\bnever\s+(use|used|train|trained)|\bnot\s+(be\s+)?used\s+(to|for)|\bno\s+(customer\s+)?(data|content)\s+(is|are|will\s+be)\s+used|\bprohibited\s+from\s+(using|training)|\bno\s+training\s+on\b|\bwithout\s+training\s+on\b|\bnot\s+to\s+train\b|\bnot\s+for\s+training\b`)
	trainOptInRe   = regexp.MustCompile(`(?i)\bopt(s|ed)?[- ]?in\b|\bexplicit\s+(consent|permission|authori[sz]ation|agreement)|\bwritten\s+(consent|permission|authori[sz]ation)|\bunless\s+(the\s+)?(customer|you)\s+(agrees?|consents?|enables?|chooses?|elects?)`)
	trainOptOutRe  = regexp.MustCompile(`(?i)\bopt(s|ed)?[- ]?out\b`)
	trainMayRe     = regexp.MustCompile(`(?i)\b(may|will|can|reserves?\s+the\s+right\s+to)\s+(use|process|be\s+used|leverage)\b`)

	zeroRetentionRe = regexp.MustCompile(`(?i)\bzero[- ](data[- ])?retention\b|\bZDR\b|\b(prompts?|inputs?|outputs?|completions?|requests?|responses?|customer\s+(data|content))\s+(are|is)\s+not\s+(stored|retained|persisted|logged)|\b(do|does|will)\s+not\s+(store|retain|persist|log)\s+(any\s+)?(customer\s+)?(data|content|prompts?|inputs?|outputs?|requests?)|\bdeleted\s+immediately\s+after\s+(processing|the\s+request|use)|\bnot\s+retained\s+(after|beyond|once)`)
	retentionRe     = regexp.MustCompile(`(?i)\b(retain(ed|s)?|stored?|kept|keeps?|delete[sd]?|purged?|retention\s+period\s+(is|of))\b[^.]{0,80}?\b(for|within|after|up\s+to|of)\s+(up\s+to\s+)?(\d{1,4}|one|two|three|seven|fourteen|thirty|sixty|ninety)\s+(days?|months?|years?)\b`)
	retentionDataRe = regexp.MustCompile(`(?i)\b(data|content|prompts?|inputs?|outputs?|logs?|records|information)\b`)
)

// Words without which a paragraph cannot hold a training or retention
// statement; checking them first keeps the regexps off most paragraphs.
var (
	trainingHints  = []string{"train", "tun", "improve"}
	retentionHints = []string{"retain", "retention", "stor", "kept", "keep", "delet", "purg", "zdr", "persist", "logged", "log "}
)

var numberWords = map[string]string{"one": "1", "two": "2", "three": "3", "seven": "7", "fourteen": "14", "thirty": "30", "sixty": "60", "ninety": "90"}

// commitments reads the vendor's statements on training with customer data
// and on retention. When statements disagree the most permissive one is
// kept, since that is the one the contract must override.
func commitments(d *textDoc) Commitments {
	var c Commitments
	rank := map[string]int{TrainingForbidden: 1, TrainingOptIn: 2, TrainingPermitted: 3}
	for _, p := range d.paras {
		training := containsAny(p.lower, trainingHints)
		retention := containsAny(p.lower, retentionHints)
		if !training && !retention {
			continue
		}
		for _, s := range sentences(p.text) {
			t := s.text
			if training && trainWordRe.MatchString(t) && customerDataRe.MatchString(t) {
				v := ""
				switch {
				case trainOptOutRe.MatchString(t):
					v = TrainingPermitted
				case trainNegRe.MatchString(t):
					v = TrainingForbidden
					if trainOptInRe.MatchString(t) {
						v = TrainingOptIn
					}
				case trainMayRe.MatchString(t):
					v = TrainingPermitted
					if trainOptInRe.MatchString(t) {
						v = TrainingOptIn
					}
				}
				if v != "" && (c.Training == nil || rank[v] > rank[c.Training.Value]) {
					c.Training = &Field{Value: v, Page: p.page, Quote: quote(p.text, s.start, s.start+len(t))}
				}
			}
			if !retention {
				continue
			}
			if m := zeroRetentionRe.FindStringIndex(t); m != nil && (c.Retention == nil || c.Retention.Value != "zero") {
				c.Retention = &Field{Value: "zero", Page: p.page, Quote: quote(p.text, s.start+m[0], s.start+m[1])}
				continue
			}
			if c.Retention == nil && retentionDataRe.MatchString(t) {
				if m := retentionRe.FindStringSubmatchIndex(t); m != nil {
					n := t[m[12]:m[13]]
					if w, ok := numberWords[strings.ToLower(n)]; ok {
						n = w
					}
					unit := strings.ToLower(t[m[14]:m[15]])
					if !strings.HasSuffix(unit, "s") && n != "1" {
						unit += "s"
					}
					c.Retention = &Field{Value: n + " " + unit, Page: p.page, Quote: quote(p.text, s.start+m[0], s.start+m[1])}
				}
			}
		}
	}
	return c
}
