package vendor

import "regexp"

// topicPattern is a subject and the wording that shows it is covered.
type topicPattern struct {
	topic string
	re    *regexp.Regexp
}

// dataFlowTopics are the flows an AI vendor's data-flow description must
// show.
var dataFlowTopics = []topicPattern{
	{"prompts", regexp.MustCompile(`(?i)\bprompts?\b|\buser\s+inputs?\b|\bchat\s+messages\b|\bcompletion\s+requests?\b`)},
	{"training data", regexp.MustCompile(`(?i)\btraining\s+(data|datasets?|corpus|corpora)\b|\bfine[- ]?tuning\s+data\b|\blabell?ed\s+data\b`)},
	{"model artifacts", regexp.MustCompile(`(?i)\bmodel\s+(artifacts?|artefacts?|weights|checkpoints?|registry|files|binaries)\b|\bweights\b`)},
}

// policyTopics are the policies an AI vendor's policy index must include.
var policyTopics = []topicPattern{
	{"access control", regexp.MustCompile(`(?i)\baccess\s+(control|management)\b|\bidentity\s+and\s+access\b|\blogical\s+access\b|\buser\s+access\s+reviews?\b`)},
	{"data retention", regexp.MustCompile(`(?i)\b(data|records?)\s+retention\b|\bretention\s+(policy|schedule|standard)\b|\bdata\s+(disposal|deletion|destruction)\b`)},
	{"incident response", regexp.MustCompile(`(?i)\bincident\s+(response|management|handling)\b`)},
	{"model governance", regexp.MustCompile(`(?i)\b(model|ai|machine\s+learning|ml)\s+(governance|risk\s+management|lifecycle|life\s+cycle|management|validation)\b|\bresponsible\s+ai\b|\bai\s+(acceptable\s+use|use|ethics)\s+policy\b|\bmodel\s+change\s+management\b`)},
}

// coverage reports, for each topic, whether the document covers it and
// where.
func (d *textDoc) coverage(topics []topicPattern) []Topic {
	out := make([]Topic, len(topics))
	for i, t := range topics {
		out[i] = Topic{Topic: t.topic}
		if f := d.find(t.re, nil); f != nil {
			out[i].Covered, out[i].Evidence = true, f
		}
	}
	return out
}
