package injection

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Rules are hand-written signs of an injection attempt. Each is one or
// more patterns over the words of the normalised text: a sequence of word
// sets, each allowed to follow the previous one after at most a given
// number of other words. They run in one pass over the words the
// classifier reads anyway, so their cost does not depend on how many
// rules there are, and the classifier takes every matching rule as a
// feature. A rule's weight is its own estimate that the text is an
// attack; a rule of weight strongRule or more raises the score to the
// flag threshold however much benign text surrounds it.
//
// Pattern syntax: word sets separated by "|", with "<n>" between two sets
// allowing up to n words between them (none without it). "word*" matches
// words that start with word; "^" before a set requires its word to start
// a sentence.
type ruleSpec struct {
	name     string
	weight   float64
	patterns []string
}

// The rules, written for attest from the common shapes of prompt
// injection and jailbreak attempts (OWASP LLM01) and of requests for
// harmful content.
var ruleSpecs = []ruleSpec{
	{"ignore_previous", 0.95, []string{
		"ignor* disregard* forget* skip bypass overrid* overwrit* neglect omit discard abandon <4> previous prior above earlier preceding initial original all every your these those foregoing existing old <3> instruction* prompt* rule* direction* guideline* command* context message* task* order* directive* programming training constraint* restriction* polic* guidance",
		"ignor* disregard* forget* <1> previous prior above earlier preceding initial original foregoing <1> text content input conversation information everything",
	}},
	{"forget_everything", 0.8, []string{
		"forget* ignor* disregard* <2> everything all anything <2> above before previous said earlier prior that",
		"^forget* ^ignor* ^disregard* <1> everything",
		"start <1> over fresh anew <2> new conversation session chat",
	}},
	{"ignore_previous_intl", 0.9, []string{
		"ignorier* vergiss vergessen vergesst oubli* olvid* ignora* dimentic* vergeet glöm unohda zaboravi* забуд* игнор* <5> alle* alles tout toutes todo todas tutto tutte sve все anweisung* instru* инструкц* vorherig* bisherig* obig* vorher davor précédent* anterior* precedent* voriger aufgaben regeln",
		"alle* <2> bisherig* vorherig* <2> informationen anweisungen aufgaben <3> irrelevant unwichtig egal",
	}},
	{"new_instructions", 0.8, []string{
		"new updated real actual true different following <1> instruction* task* rules system directive* orders objective* mission",
		"neue* <1> aufgabe* anweisung* regeln",
		"now <2> focus <2> new task",
	}},
	{"reveal_prompt", 0.85, []string{
		"reveal* show* print* display* repeat* output* tell* give* spell* write* leak* share* list* dump* expose* disclose* what what's whats provide* <4> prompt* instruction* password* secret* passphrase passcode pass codeword",
		"what <2> you <2> told instructed programmed asked <2> to",
	}},
	{"system_prompt", 0.8, []string{
		"system initial original hidden secret full entire exact <1> prompt* instruction* message* directive*",
		"^system ^instruction* ^assistant ^developer <0> :",
	}},
	{"role_override", 0.8, []string{
		"you <0> are re <0> now no <0> longer",
		"from <0> now <0> on",
		"you <0> will would <0> now <0> act be respond answer",
		"pretend* <1> to you <0> be are",
		"act <0> as <1> unrestricted unfiltered evil jailbroken dan uncensored unethical rogue",
		"roleplay* role-play* <1> as",
		"du <0> bist <0> jetzt nun",
		"stell* <0> dir <0> vor",
	}},
	{"act_as", 0.55, []string{
		"^act <0> as like",
		"i <0> want <0> you <0> to <0> act be pretend play behave respond",
		"möchte <1> dass <1> sie du <3> als <6> fungier* agier* auftret* handel*",
		"^you <0> are <1> a an the",
		"^be <0> a an my",
		"^imagine <1> you <0> are re",
		"^du <0> bist <1> ein eine der die das",
		"play* <1> the a <0> role <0> of",
	}},
	{"jailbreak_persona", 0.9, []string{
		"dan developer stan dude aim unfiltered god unrestricted evil jailbreak <0> mode",
		"do <0> anything <0> now",
		"jailbr*",
		"evil <0> confidant",
		"anti <0> gpt",
	}},
	{"no_restrictions", 0.75, []string{
		"without no free ignor* bypass* remov* lift* disabl* <1> any all <1> restriction* limit* filter* censor* guideline* ethic* moral* safety rules boundar* constraint*",
		"not <1> bound <1> by",
		"no <0> longer <2> restricted bound limited",
	}},
	{"stop_attention", 0.6, []string{
		"stop attention important urgent achtung wichtig <0> stop new ignore ignor* now write say schreib* sag* print",
		"^stop <0> :",
	}},
	{"forced_output", 0.55, []string{
		"just only now instead simply <2> say write print output state respond reply answer schreib* sag*",
		"say state write include <1> that <0> you i <0> hate love",
		"repeat <0> after <0> me",
		"respond answer reply <1> only <2> with",
		"confirm <1> by <0> saying",
	}},
	{"opposite", 0.6, []string{
		"do <1> the <0> opposite",
		"disobey* defy* subvert* circumvent* <2> rules directive* instruction* command* orders programming",
	}},
	{"code_execution", 0.6, []string{
		"act <2> as <2> interpreter terminal shell console",
		"execute* run <2> following <0> command* code",
		"print* <0> ( exec eval",
	}},
	{"tool_exfiltration", 0.85, []string{
		"send* post* upload* forward* exfiltrat* email* leak* transmit* <5> to at <1> http https www",
	}},
	{"harm_hate", 0.6, []string{
		"sexist* racist* xenophob* harass* bully* bullie* demean* ridicul* slur* inferior* disgusting* shaming dehumaniz* supremac* discriminat* mock* homophob* transphob* misogyn* bigot* hateful insult* humiliat* stereotyp*",
	}},
	{"harm_violence", 0.6, []string{
		"kill* murder* bomb* weapon* explosive* poison* tortur* enslav* genocid* terror* assassin* massacr* shoot* stab* kidnap* abduct* mutilat* cannibal* arson* firearm* gun* ammunition* detonat* nerve bioweapon* pathogen* anthrax ricin sarin",
	}},
	{"harm_crime", 0.6, []string{
		"hack* malware* ransomware* virus* trojan* spyware* keylog* exploit* steal* stole* fraud* scam* phish* counterfeit* launder* brib* smuggl* traffick* illegal* evade* evasion forg* blackmail* extort* pirat* crack* ddos botnet* rootkit* breach* burglar* shoplift* embezzl* insider skim* clone* stalk* dox* surveil* spy*",
	}},
	{"harm_deception", 0.55, []string{
		"defamat* fake* disinformation misinformation propaganda hoax* conspirac* convinc* manipulat* glorif* promot* encourag* persuad* mislead* deceiv* decept* fabricat* falsif* impersonat* plagiar* cheat* rig* lie lies lying",
	}},
	{"harm_selfharm_sexual", 0.6, []string{
		"suicid* self-harm selfharm self <0> harm anorexi* bulimi* starv* explicit porn* minor* underage* child* nude* naked sexual* sex erotic* pedophil* incest* grooming",
	}},
	{"harm_request", 0.6, []string{
		"^write* ^create* ^draft* ^generate* ^compose* ^design* ^develop* ^give* ^provide* ^explain* ^describe* ^outline* ^list* ^suggest* ^help* ^teach* ^tell* ^show* ^how ^offer* ^produce* <8> without <1> getting being <0> caught detected noticed traced",
		"^write* ^create* ^draft* ^generate* ^compose* ^design* ^develop* ^give* ^provide* ^explain* ^describe* ^outline* ^list* ^suggest* ^help* ^teach* ^tell* ^show* ^how ^offer* ^produce* <4> step-by-step step <2> instructions guide tutorial <6> hack* steal* make* build* synthes* manufactur* obtain* acquir* buy* sell* evade* bypass* cheat* smuggl* launder* counterfeit* poison* kill* harm* hurt* destroy*",
		"claim* argu* assert* suggest* insist* <0> that",
		"convinc* persuad* encourag* pressur* coerc* trick* lure* <1> someone people users readers them a an the <6> to",
		"undetect* untrace* anonymous* secretly covert*",
	}},
	{"evade_detection", 0.7, []string{
		"avoid* evad* escap* bypass* circumvent* <2> detection police authorit* law taxes tax security filters monitoring",
	}},
	// Markers of chat templates and tool syntax; their punctuation is
	// matched on the normalised text rather than on words.
	{"chat_markup", 0.85, nil},
	{"markdown_exfil", 0.8, nil},
}

// literalKeys are matched as substrings of the normalised text.
var literalKeys = map[string][]string{
	"chat_markup":    {"<|im_start|>", "<|im_end|>", "<|system|>", "<|endoftext|>", "<|start_header_id|>", "[inst]", "[/inst]", "<<sys>>", "<</sys>>", "<system>", "</system>", "### system", "### instruction", "#system", "[system]"},
	"markdown_exfil": {"](http"},
}

// The compiled rules.
type slot struct {
	pattern int  // index into patterns
	first   bool // the pattern's first slot
	last    bool // the pattern's last slot
	gap     int  // words allowed between this slot's word and the previous slot's
	sent    bool // the word must start a sentence
}

type compiledRules struct {
	slots    []slot
	patterns []int // pattern index -> rule index
	// keys maps the hash of a word, or of a word's first n bytes mixed
	// with n, to the slots it fills, in descending slot order.
	keys    map[uint32][]uint16
	bloom   [1 << 16 / 64]uint64 // low 16 bits of every key
	lengths []int                // prefix lengths in use
	maxLen  int
}

func prefixKey(h uint32, n int) uint32 { return mix(h, 0x9e37+uint32(n)) }

func (c *compiledRules) mayHave(k uint32) bool { return c.bloom[k&0xffff/64]&(1<<(k%64)) != 0 }

var rules = func() *compiledRules {
	if len(ruleSpecs) > 64 {
		panic("injection: more than 64 rules") // a programming error
	}
	c := &compiledRules{keys: map[uint32][]uint16{}}
	lengths := map[int]bool{}
	for ri, r := range ruleSpecs {
		for _, p := range r.patterns {
			pi := len(c.patterns)
			c.patterns = append(c.patterns, ri)
			sets := strings.Split(p, " <")
			// "a b <2> c d" splits into "a b", "2> c d".
			gap := 0
			for si, set := range sets {
				if si > 0 {
					n, rest, ok := strings.Cut(set, "> ")
					g, err := strconv.Atoi(n)
					if !ok || err != nil {
						panic(fmt.Sprintf("injection: rule %s: bad gap in %q", r.name, p))
					}
					gap, set = g, rest
				}
				id := len(c.slots)
				s := slot{pattern: pi, first: si == 0, last: si == len(sets)-1, gap: gap}
				for _, w := range strings.Fields(set) {
					if strings.HasPrefix(w, "^") {
						s.sent = true
						w = w[1:]
					}
					prefix := strings.HasSuffix(w, "*")
					w = Normalize(strings.TrimSuffix(w, "*"))
					var k uint32
					switch {
					case prefix && (len(w) < 2 || len(w) > maxPrefix):
						panic(fmt.Sprintf("injection: rule %s: prefix %q must have 2 to %d bytes", r.name, w, maxPrefix))
					case prefix:
						k = prefixKey(wordHash(w), len(w))
						lengths[len(w)] = true
					default:
						k = wordHash(w)
					}
					if !slices.Contains(c.keys[k], uint16(id)) {
						c.keys[k] = append(c.keys[k], uint16(id))
					}
					c.bloom[k&0xffff/64] |= 1 << (k % 64)
				}
				c.slots = append(c.slots, s)
			}
		}
	}
	for k := range c.keys {
		slices.Sort(c.keys[k])
		slices.Reverse(c.keys[k])
	}
	for n := range lengths {
		c.lengths = append(c.lengths, n)
		c.maxLen = max(c.maxLen, n)
	}
	slices.Sort(c.lengths)
	return c
}()

// maxPrefix is the longest prefix, in bytes, a rule may match on.
const maxPrefix = 12

// wordHash is 32-bit FNV-1a, the hash of words in features and rules.
func wordHash(w string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(w); i++ {
		h = (h ^ uint32(w[i])) * 16777619
	}
	return h
}

// ruleMatcher runs the rules over one text's words.
type ruleMatcher struct {
	last []int32 // per slot: index of the latest word that completed it, or -1
	hits uint64  // rules that matched
	ids  [16]uint16
}

func newRuleMatcher() *ruleMatcher {
	m := &ruleMatcher{last: make([]int32, len(rules.slots))}
	m.reset()
	return m
}

func (m *ruleMatcher) reset() {
	for i := range m.last {
		m.last[i] = -1 << 30
	}
	m.hits = 0
}

// word feeds the i-th word, with its hash and the hashes of its prefixes
// (prefix[n] for the first n bytes).
func (m *ruleMatcher) word(i int32, h uint32, prefix *[maxPrefix + 1]uint32, n int, sentence bool) {
	c := rules
	ids := m.ids[:0]
	if c.mayHave(h) {
		ids = append(ids, c.keys[h]...)
	}
	for _, l := range c.lengths {
		if l > n {
			break
		}
		if k := prefixKey(prefix[l], l); c.mayHave(k) {
			ids = append(ids, c.keys[k]...)
		}
		if len(ids) > len(m.ids)-4 {
			break
		}
	}
	if len(ids) == 0 {
		return
	}
	if len(ids) > 1 {
		// Later slots first, so that one word never fills two slots of a
		// pattern.
		slices.Sort(ids)
		slices.Reverse(ids)
	}
	for _, id := range ids {
		s := &c.slots[id]
		if s.sent && !sentence {
			continue
		}
		if !s.first && i-m.last[id-1]-1 > int32(s.gap) {
			continue
		}
		if s.last {
			m.hits |= 1 << c.patterns[s.pattern]
			continue
		}
		m.last[id] = i
	}
}

// literals checks the substring rules.
func (m *ruleMatcher) literals(s string) {
	for ri, r := range ruleSpecs {
		for _, k := range literalKeys[r.name] {
			if strings.Contains(s, k) {
				m.hits |= 1 << ri
				break
			}
		}
	}
}

// matched returns the names of the rules that matched and the highest
// weight among them.
func (m *ruleMatcher) matched() (names []string, weight float64) {
	for ri, r := range ruleSpecs {
		if m.hits&(1<<ri) != 0 {
			names = append(names, r.name)
			weight = max(weight, r.weight)
		}
	}
	return names, weight
}
