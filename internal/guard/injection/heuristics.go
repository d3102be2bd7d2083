package injection

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/attest-ai/attest/internal/guard/norm"
)

// A rule is one hand-written sign of an injection attempt, matched against
// normalised text. Weight is the rule's own probability that the text is
// an attack; a text's heuristic score is the highest weight that matched.
type rule struct {
	name   string
	weight float64
	keys   []string       // the regexp runs only if one of these occurs
	re     *regexp.Regexp // nil for a word list: a key starting a word matches
}

// rules are written for normalised (lower-case, folded) text. They stay
// within Go's linear-time regular expressions.
var rules = []rule{
	{"ignore_previous", 0.95, []string{"ignore", "disregard", "forget", "skip", "bypass", "overrid", "overwrit"}, regexp.MustCompile(`\b(?:ignore|disregard|forget|skip|bypass|override|overwrite)\b(?:\s+\S+){0,4}?\s+(?:previous|prior|above|earlier|preceding|initial|original|all|any|your|the|these|those|my)\b(?:\s+\S+){0,3}?\s+(?:instructions?|prompts?|rules?|directions?|guidelines?|commands?|context|messages?|text|tasks?|orders?)`)},
	{"ignore_previous_de", 0.9, []string{"ignorier", "vergiss", "vergessen"}, regexp.MustCompile(`\b(?:ignoriere|vergiss|vergessen sie|ignorieren sie)\b(?:\s+\S+){0,4}?\s+(?:anweisungen|befehle|aufgaben|regeln|vorherigen|bisherigen|alles)`)},
	{"reveal_prompt", 0.85, []string{"prompt", "instruction", "password", "secret", "passphrase", "system message"}, regexp.MustCompile(`\b(?:reveal|show|print|display|repeat|output|tell me|give me|spell|write out|leak|what (?:is|are|was))\b(?:\s+\S+){0,4}?\s+(?:(?:system|initial|original|hidden|secret|full)\s+)?(?:prompt|instructions|password|secret|passphrase|system message)`)},
	{"role_override", 0.8, []string{"you are now", "from now on", "you will now", "pretend", "act as", "roleplay", "you're now"}, regexp.MustCompile(`\b(?:you are now|from now on,? you|you will now act|pretend (?:to be|you are)|act as (?:an? )?(?:unrestricted|unfiltered|evil|jailbroken|dan)|roleplay as|you're now)\b`)},
	{"jailbreak_persona", 0.9, []string{"mode", "do anything now", "jailbr", "evil confidant"}, regexp.MustCompile(`\b(?:dan mode|developer mode|do anything now|jailbreak|jailbroken|stan mode|dude mode|evil confidant|aim mode|unfiltered mode|god mode)\b`)},
	{"no_restrictions", 0.75, []string{"restriction", "limitation", "filter", "censor", "guideline", "ethical", "moral", "safety"}, regexp.MustCompile(`\b(?:without|no|free of|ignore all|bypass)\s+(?:any\s+)?(?:restrictions|limitations|filters|censorship|guidelines|ethical|moral|safety)\b`)},
	{"new_instructions", 0.8, []string{"instruction", "task", "rules", "system prompt"}, regexp.MustCompile(`\b(?:new|updated|real|actual|true)\s+(?:instructions?|task|rules|system prompt)\s*(?::|are|is|follow)`)},
	{"chat_markup", 0.85, []string{"<|", "[inst", "[/inst", "<<sys", "<</sys", "system>", "###"}, regexp.MustCompile(`<\|(?:im_start|im_end|system|endoftext|start_header_id)\|>|\[/?inst\]|<</?sys>>|</?system>|\#\#\#\s*(?:system|instruction)`)},
	{"stop_attention", 0.6, []string{"stop", "attention", "important", "urgent"}, regexp.MustCompile(`\b(?:stop|attention|important|urgent)\b\s*[-:!]+\s*(?:stop|new|ignore|now)\b`)},
	{"tool_exfiltration", 0.85, []string{"http", "www."}, regexp.MustCompile(`\b(?:send|post|upload|forward|exfiltrate|email)\b(?:\s+\S+){0,5}?\s+(?:to|at)\s+(?:https?://|www\.|[a-z0-9.-]+@)`)},
	{"ignore_previous_intl", 0.85, []string{"забуд", "игнор", "olvid", "ignora", "oubli", "zaboravi", "abweichend", "ignorieren", "dimentica", "vergeet", "glöm", "unohda"}, regexp.MustCompile(folded(`(?:забудьте|забудь|игнорируй\S*|olvid\S+|ignora\S*|oublie\S*|zaboravi\S*|abweichend|ignorieren|dimentica\S*|vergeet|glöm|unohda)(?:\s+\S+){0,5}?\s*(?:todo|tout|sve|alles|все|tutto|instru\S*|инструкции|anweisungen|vorherig\S*|obig\S*|ohjeet|allt)`))},
	{"pretend_imagine", 0.6, []string{"pretend", "imagine you", "stell dir vor", "act as", "play the role", "roleplay"}, nil},
	{"forced_output", 0.55, []string{"stop", "instead", "hate", "love", "just say", "only say", "now say", "now write", "just write", "now print"}, regexp.MustCompile(`\b(?:stop|now|just|only|instead)\W+(?:\S+\W+){0,2}(?:say|write|print|output|state|schreibe?|sag)\b|\b(?:say|state|include|write)\s+(?:that\s+)?(?:you|i)\s+(?:hate|love)\b`)},
	{"role_assignment", 0.55, []string{"you are", "du bist", "sie sind"}, regexp.MustCompile(`(?:^|[.!?]\s)(?:you are|du bist|sie sind)\s+(?:now\s+)?(?:an?\s+|the\s+|ein\s+|eine\s+)?[a-z]+`)},
	{"harm_hate", 0.6, []string{"sexist", "racist", "xenophob", "harass", "bully", "demean", "ridicul", "slur", "inferior", "disgusting", "shaming", "hateful", "dehumaniz", "supremac", "discriminat", "mock"}, nil},
	{"harm_violence", 0.6, []string{"kill", "murder", "bomb", "weapon", "explosive", "poison", "tortur", "enslave", "genocide", "terror", "assassin", "massacre", "shoot", "stab"}, nil},
	{"harm_crime", 0.6, []string{"hack", "malware", "ransomware", "steal", "fraud", "scam", "phish", "counterfeit", "launder", "bribe", "smuggl", "traffick", "illegal", "evade", "keylogger", "exploit", "pirat", "blackmail", "extort", "forge", "credit card", "without getting caught", "undetect"}, nil},
	{"harm_deception", 0.55, []string{"defamat", "fake news", "disinformation", "misinformation", "propaganda", "hoax", "conspiracy", "convince", "manipulat", "glorif", "promot", "encourag", "persuad"}, nil},
	{"harm_selfharm_sexual", 0.6, []string{"suicide", "self-harm", "self harm", "anorexi", "bulimi", "starv", "explicit", "porn", "minor", "underage", "child"}, nil},
	{"markdown_exfil", 0.8, []string{"](http"}, regexp.MustCompile(`!\[[^\]]{0,100}\]\(https?://[^)\s]{0,200}[?&][a-z_]{1,20}=`)},
}

// folded writes a pattern the way Normalize writes text, so that rules in
// scripts with look-alike letters (Cyrillic) match normalised input.
// Only non-ASCII letters are touched: the pattern's own syntax stays.
func folded(pattern string) string {
	var b strings.Builder
	for _, r := range pattern {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		for _, c := range string(norm.FoldRune(r, nil)) {
			b.WriteRune(unicode.ToLower(c))
		}
	}
	return b.String()
}

// heuristic returns the highest matching rule weight and the names of
// the rules that matched.
func heuristic(s string) (float64, []string) {
	var best float64
	var names []string
	var hits hitSet
	hits.find(s)
	for i, r := range rules {
		if hits.n[i] == 0 || !r.matchNear(s, hits.at[i][:hits.n[i]]) {
			continue
		}
		names = append(names, r.name)
		best = max(best, r.weight)
	}
	return best, names
}

// keyIndex finds the rules' keywords in one pass over the text: keys are
// filed under their first two bytes, and each position of the text checks
// only the keys filed under the two bytes found there.
type keyRef struct {
	rule int
	key  string
}

var keyIndex = func() map[uint16][]keyRef {
	if len(rules) > 64 {
		panic("injection: more than 64 rules") // a programming error
	}
	m := map[uint16][]keyRef{}
	for i, r := range rules {
		for _, k := range r.keys {
			k = Normalize(k)
			if len(k) < 2 {
				panic("injection: rule keys need at least two bytes: " + r.name)
			}
			p := uint16(k[0])<<8 | uint16(k[1])
			m[p] = append(m[p], keyRef{i, k})
		}
	}
	return m
}()

// keyPrefixes marks, one bit per two-byte prefix, where keyIndex has keys,
// so that most positions cost one bit test rather than a map lookup.
var keyPrefixes = func() (b [1 << 16 / 64]uint64) {
	for p := range keyIndex {
		b[p/64] |= 1 << (p % 64)
	}
	return b
}()

// Rules match locally: a rule's pattern runs only on a window around each
// occurrence of one of its keys, which keeps long benign texts cheap.
const (
	windowBefore = 100
	windowAfter  = 160
	maxHits      = 8 // windows per rule and text
)

func isWordByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 0x80 }

// hitSet holds, per rule, where its keys occur.
type hitSet struct {
	n  [64]uint8
	at [64][maxHits]int32
}

// find records the key positions in s; an occurrence within half a window
// of the rule's previous one is skipped.
func (h *hitSet) find(s string) {
	for i := 0; i+1 < len(s); i++ {
		p := uint16(s[i])<<8 | uint16(s[i+1])
		if keyPrefixes[p/64]&(1<<(p%64)) == 0 {
			continue
		}
		for _, ref := range keyIndex[p] {
			n := h.n[ref.rule]
			if n >= maxHits || n > 0 && int(h.at[ref.rule][n-1])+windowAfter/2 > i {
				continue
			}
			if strings.HasPrefix(s[i:], ref.key) {
				h.at[ref.rule][n] = int32(i)
				h.n[ref.rule]++
			}
		}
	}
}

// matchNear runs the rule on the windows around its key positions.
func (r rule) matchNear(s string, at []int32) bool {
	if r.re == nil {
		for _, p := range at {
			if p == 0 || !isWordByte(s[p-1]) {
				return true
			}
		}
		return false
	}
	for _, p := range at {
		lo, hi := max(0, int(p)-windowBefore), min(len(s), int(p)+windowAfter)
		// Widen to whole characters.
		for lo > 0 && !utf8.RuneStart(s[lo]) {
			lo--
		}
		for hi < len(s) && !utf8.RuneStart(s[hi]) {
			hi++
		}
		if r.re.MatchString(s[lo:hi]) {
			return true
		}
	}
	return false
}
