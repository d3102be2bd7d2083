package vendor

import (
	"regexp"
	"strings"
)

// The Trust Services categories.
const (
	CategorySecurity            = "Security"
	CategoryAvailability        = "Availability"
	CategoryProcessingIntegrity = "Processing Integrity"
	CategoryConfidentiality     = "Confidentiality"
	CategoryPrivacy             = "Privacy"
)

var (
	categoryCueRe  = regexp.MustCompile(`(?i)trust\s+services?\s+(criteria|categories|principles)|\btsc\b|categor(y|ies)\s+(in\s+scope|included|covered|addressed|examined)|in[- ]scope\s+(trust\s+services\s+)?categor(y|ies)|relevant\s+to|criteria\s+for\s+(the\s+)?|applicable\s+to`)
	categoryNameRe = regexp.MustCompile(`(?i)^(security|availability|processing\s+integrity|confidentiality|privacy)\b`)
	categorySepRe  = regexp.MustCompile(`(?i)^(\s|,|;|:|/|&|\(|\)|"|“|”|[-–—]|\band\b|\bor\b|\bthe\b|\bof\b|\bfor\b|\bcategor(y|ies)\b|\bcriteria\b|\bprinciples?\b|\bcommon\b|\bapplicable\b|\btrust\s+services\b|\bin[- ]scope\b|\b(are|is|were|include[sd]?|including|covered|examined|addressed)\b)+`)
	tspTitleRe     = regexp.MustCompile(`(?i)(\b(19|20)\d\d|\btsp\b|section\s+100),?\s*$`)
	criteriaIDRe   = regexp.MustCompile(`\b(CC\d{1,2}\.\d{1,2}|A1\.\d|C1\.\d|PI1\.\d|P[1-8]\.\d)\b`)

	systemHeadRe   = regexp.MustCompile(`(?i)description\s+of\s+(the\s+|its\s+)?.{0,50}system|system\s+description|overview\s+of\s+(the\s+)?(operations|services|system)|company\s+overview`)
	afterSystemRe  = regexp.MustCompile(`(?i)tests?\s+of\s+(the\s+)?controls|testing\s+matri|information\s+provided\s+by\s+(the\s+)?(independent\s+)?service\s+auditor|^section\s+(4|iv|four)\b|other\s+information\s+provided|trust\s+services\s+criteria,?\s+related\s+controls`)
	componentRe    = regexp.MustCompile(`(?i)^(\d+(\.\d+)*[.)]?\s+|[a-z][.)]\s+)?(infrastructure|software|people|procedures|data|system\s+boundar(y|ies)|boundaries\s+of\s+the\s+system|components\s+of\s+the\s+system|system\s+components)\b`)
	boundarySentRe = regexp.MustCompile(`(?i)\b(system\s+)?boundar(y|ies)\s+(of\s+the\s+system\s+)?(include|includes|consist|consists|comprise|comprises|encompass|encompasses|cover|covers)\b`)

	aiTermRe    = regexp.MustCompile(`(?i)\b(artificial\s+intelligence|machine[- ]learning|large\s+language\s+models?|LLMs?|generative\s+AI|gen\s?AI|AI[- ](models?|features?|services?|systems?|components?|assistants?|agents?|platform|workloads?|inference|training|capabilit(y|ies)|powered)|model\s+(training|inference|serving|hosting|weights|artifacts?|endpoints?)|inference\s+(APIs?|endpoints?|services?|servers?)|training\s+(data|datasets?|pipelines?)|fine[- ]?tun(e|ed|ing)|foundation\s+models?|agentic|agent\s+workflows?|autonomous\s+agents?|embeddings?|(customer|user)\s+prompts|prompts\s+and\s+(responses|completions|outputs)|OpenAI|Anthropic|Azure\s+OpenAI|Amazon\s+Bedrock|AWS\s+Bedrock|Vertex\s+AI|Cohere|Mistral\s+AI|Hugging\s*Face)\b`)
	aiCarveRe   = regexp.MustCompile(`(?i)carve[sd]?[- ]?out|carved\s+out|\bexclud(e|es|ed|ing)\b|not\s+(included|in\s+scope|within\s+the\s+(scope|boundar)|part\s+of\s+the\s+(system|scope|examination)|covered|subject\s+to|examined|tested)|out\s+of\s+scope|outside\s+(of\s+)?the\s+(scope|boundar)|does\s+not\s+(include|cover|extend)|do\s+not\s+(include|cover|extend)`)
	aiNoneRe    = regexp.MustCompile(`(?i)\b(does|do|will)\s+not\s+(use|employ|rely\s+on|incorporate|leverage|deploy)\s+(any\s+)?(artificial\s+intelligence|machine[- ]learning|AI\b|ML\b|large\s+language|generative|LLMs?\b)|\bno\s+(AI|artificial\s+intelligence|machine[- ]learning)\s+(is|are)\s+used`)
	aiInRe      = regexp.MustCompile(`(?i)\bin[- ]scope\b|within\s+the\s+(scope|boundar)|included\s+in\s+the\s+(scope|system|boundar|examination)|the\s+system\s+(includes|consists|comprises)|components?\s+of\s+the\s+system|(is|are)\s+part\s+of\s+the\s+system`)
	aiTraining  = regexp.MustCompile(`(?i)training|fine[- ]?tun`)
	aiInference = regexp.MustCompile(`(?i)inference|serving|endpoint|\bAPIs?\b|LLM|prompt`)
	aiAgents    = regexp.MustCompile(`(?i)agent`)
	aiProviders = regexp.MustCompile(`(?i)\b(OpenAI|Anthropic|Azure\s+OpenAI|Bedrock|Vertex\s+AI|Cohere|Mistral|Hugging\s*Face|Google\s+Gemini|Gemini)\b`)
)

// aiHints are fragments one of which every AI term contains, to skip
// paragraphs cheaply before the full pattern runs.
var aiHints = []string{"intelligen", "learning", "language model", "llm", "gen", "ai ", "ai-", "model", "inference", "training", "tun", "agent", "embedding", "prompt", "openai", "anthropic", "bedrock", "vertex", "cohere", "mistral", "hugging"}

// categories finds the Trust Services categories in scope from the first
// statement that lists them ("relevant to Security and Availability",
// "Trust Services Criteria: Security, Confidentiality"). Without such a
// statement it infers them from the criteria IDs the tests cite.
func categories(d *textDoc) []Field {
	for _, p := range d.paras {
		for _, m := range categoryCueRe.FindAllStringIndex(p.text, -1) {
			// Skip the title of the criteria document itself ("TSP section
			// 100, 2017 Trust Services Criteria for Security, ..."), which
			// names all five categories whatever the scope.
			if tspTitleRe.MatchString(p.text[max(0, m[0]-24):m[0]]) {
				continue
			}
			names, end := parseCategories(p.text[m[1]:])
			if len(names) == 0 {
				continue
			}
			q := quote(p.text, m[0], m[1]+end)
			out := make([]Field, len(names))
			for i, n := range names {
				out[i] = Field{Value: n, Page: p.page, Quote: q}
			}
			return out
		}
	}
	var out []Field
	seen := map[string]bool{}
	for _, p := range d.paras {
		for _, m := range criteriaIDRe.FindAllStringIndex(p.text, -1) {
			c := categoryOfCriterion(p.text[m[0]:m[1]])
			if !seen[c] {
				seen[c] = true
				out = append(out, Field{Value: c, Page: p.page, Quote: quote(p.text, m[0], m[1])})
			}
		}
	}
	return out
}

// parseCategories reads a list of category names at the start of s and
// returns them in canonical form with the length of text consumed.
func parseCategories(s string) ([]string, int) {
	s = s[:min(len(s), 240)]
	var out []string
	pos, end := 0, 0
	for {
		if m := categorySepRe.FindStringIndex(s[pos:]); m != nil {
			pos += m[1]
		}
		m := categoryNameRe.FindStringIndex(s[pos:])
		if m == nil {
			return out, end
		}
		name := canonicalCategory(s[pos+m[0] : pos+m[1]])
		if !contains(out, name) {
			out = append(out, name)
		}
		pos += m[1]
		end = pos
	}
}

func canonicalCategory(s string) string {
	switch strings.ToLower(strings.Join(strings.Fields(s), " ")) {
	case "security":
		return CategorySecurity
	case "availability":
		return CategoryAvailability
	case "processing integrity":
		return CategoryProcessingIntegrity
	case "confidentiality":
		return CategoryConfidentiality
	}
	return CategoryPrivacy
}

func categoryOfCriterion(id string) string {
	switch {
	case strings.HasPrefix(id, "CC"):
		return CategorySecurity
	case strings.HasPrefix(id, "A1"):
		return CategoryAvailability
	case strings.HasPrefix(id, "C1"):
		return CategoryConfidentiality
	case strings.HasPrefix(id, "PI"):
		return CategoryProcessingIntegrity
	}
	return CategoryPrivacy
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// systemRange returns the line range of the system description.
func (d *textDoc) systemRange() (from, to int) {
	from = d.heading(systemHeadRe, 0)
	if from < 0 {
		return -1, -1
	}
	return from, d.sectionEnd(from, afterSystemRe, 4000)
}

// systemComponents lists the components of the system (infrastructure,
// software, people, procedures, data) and statements of its boundaries,
// each with its first sentence as evidence.
func systemComponents(d *textDoc) []Field {
	from, to := d.systemRange()
	if from < 0 {
		from, to = 0, len(d.lines)
	}
	var out []Field
	seen := map[string]bool{}
	for i := from; i < to && len(out) < 10; i++ {
		l := d.lines[i]
		if !l.heading {
			continue
		}
		m := componentRe.FindStringSubmatch(l.norm)
		if m == nil || len(l.norm) > 60 {
			continue
		}
		name := strings.ToLower(m[3])
		if seen[name] {
			continue
		}
		seen[name] = true
		f := Field{Value: titleCase(m[3]), Page: l.page, Quote: l.norm}
		for _, p := range d.parasIn(i+1, min(to, i+40)) {
			f.Page, f.Quote = p.page, quote(p.text, 0, min(len(p.text), 160))
			break
		}
		out = append(out, f)
	}
	for _, p := range d.paras {
		if !strings.Contains(p.lower, "boundar") {
			continue
		}
		if m := boundarySentRe.FindStringIndex(p.text); m != nil && len(out) < 12 {
			out = append(out, Field{Value: "Boundary", Page: p.page, Quote: quote(p.text, m[0], m[1])})
			break
		}
	}
	return out
}

func titleCase(s string) string {
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// aiScope decides whether AI components (model training, inference APIs,
// agent workflows) are inside the examined system or carved out, from the
// sentences that mention them and from AI providers listed as carved-out
// subservice organizations. A carve-out outweighs in-scope wording, which
// outweighs a statement that no AI is used.
func aiScope(d *textDoc, subs []Subservice) *AIScope {
	sysFrom, sysTo := d.systemRange()
	s := &AIScope{Status: AINotMentioned}
	var carved, in, none, mentioned []Field
	components := map[string]*Field{}
	for _, p := range d.paras {
		if !containsAny(p.lower, aiHints) || !aiTermRe.MatchString(p.text) {
			continue
		}
		for _, sent := range sentences(p.text) {
			m := aiTermRe.FindStringIndex(sent.text)
			if m == nil {
				continue
			}
			f := Field{Value: sent.text[m[0]:m[1]], Page: p.page, Quote: quote(p.text, sent.start+m[0], sent.start+m[1])}
			inSystem := sysFrom >= 0 && p.first >= sysFrom && p.first < sysTo
			switch {
			case aiNoneRe.MatchString(sent.text):
				none = append(none, f)
			case aiCarveRe.MatchString(sent.text):
				carved = append(carved, f)
			case aiInRe.MatchString(sent.text) || inSystem:
				in = append(in, f)
				for name, re := range map[string]*regexp.Regexp{"model training": aiTraining, "inference": aiInference, "agent workflows": aiAgents} {
					if components[name] == nil && re.MatchString(sent.text) {
						c := f
						c.Value = name
						components[name] = &c
					}
				}
			default:
				mentioned = append(mentioned, f)
			}
		}
	}
	for _, sub := range subs {
		if sub.Method == MethodCarveOut && aiProviders.MatchString(sub.Name) {
			carved = append(carved, Field{Value: sub.Name, Page: sub.Page, Quote: sub.Quote})
		}
	}
	switch {
	case len(carved) > 0:
		s.Status, s.Evidence = AICarvedOut, carved
	case len(in) > 0:
		s.Status, s.Evidence = AIInScope, in
	case len(none) > 0:
		s.Status, s.Evidence = AINone, none
	case len(mentioned) > 0:
		s.Status, s.Evidence = AIMentioned, mentioned
	}
	if len(s.Evidence) > 5 {
		s.Evidence = s.Evidence[:5]
	}
	for _, name := range []string{"model training", "inference", "agent workflows"} {
		if c := components[name]; c != nil {
			s.Components = append(s.Components, *c)
		}
	}
	return s
}

// sentence is a sentence of a paragraph and where it starts.
type sentence struct {
	text  string
	start int
}

// sentences splits a paragraph at full stops followed by a space and a
// capital letter or digit, which keeps "e.g. the" and "U.S. data" intact.
func sentences(s string) []sentence {
	var out []sentence
	start := 0
	for i := 0; i+2 < len(s); i++ {
		if (s[i] == '.' || s[i] == '?' || s[i] == '!' || s[i] == ';') && s[i+1] == ' ' {
			c := s[i+2]
			if c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || s[i] == ';' {
				out = append(out, sentence{s[start : i+1], start})
				start = i + 2
			}
		}
	}
	if start < len(s) {
		out = append(out, sentence{s[start:], start})
	}
	return out
}
