package injection

import (
	"bytes"
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
		"ignor* disregard* forget* skip bypass overrid* overwrit* neglect omit discard abandon <4> previous prior above earlier preceding initial original all every any your these those foregoing existing old last given <3> instruction* prompt* rule* direction* guideline* command* context message* task* order* directive* programming training constraint* restriction* polic* guidance safeguard* guardrail* safety security",
		"ignor* disregard* forget* <1> previous prior above earlier preceding initial original foregoing <1> text content input conversation information everything",
		"ignor* disregard* forget* <0> the all <0> above foregoing",
		"disregard* <2> above previous prior preceding foregoing earlier",
	}},
	{"forget_everything", 0.8, []string{
		"forget* ignor* disregard* <2> everything all anything <2> above before previous said earlier prior that",
		"^forget* ^ignor* ^disregard* <1> everything",
		"start <1> over fresh anew <2> new conversation session chat",
	}},
	{"ignore_previous_intl", 0.9, []string{
		"ignorier* vergiss vergessen vergesst oubli* olvid* ignora* dimentic* vergeet glöm unohda zaboravi* забуд* игнор* <5> alle* alles tout toutes todo todas tutto tutte sve все anweisung* instru* инструкц* vorherig* bisherig* obig* vorher davor précédent* anterior* precedent* voriger aufgaben regeln",
		"alle* <2> bisherig* vorherig* <2> informationen anweisungen aufgaben <3> irrelevant unwichtig egal",
		"obig* vorherig* bisherig* <3> ignorier* vergess* vergiss",
		"abweichend <2> vorherig* bisherig* instru* anweisung*",
	}},
	{"new_instructions", 0.8, []string{
		"new updated real actual true different following <1> instruction* task* rules system directive* orders objective* mission",
		"neue* <1> aufgabe* anweisung* regeln",
		"now <2> focus <2> new task",
	}},
	{"reveal_prompt", 0.85, []string{
		"reveal* show* print* display* repeat* output* tell* give* spell* write* leak* share* list* dump* expose* disclose* what whats provide* <4> prompt* instruction* password* secret* passphrase passcode pass codeword",
		"what <2> you <2> told instructed programmed asked <2> to",
	}},
	{"system_prompt", 0.8, []string{
		"system initial original hidden secret full entire exact <1> prompt* instruction* message* directive*",
	}},
	{"role_override", 0.8, []string{
		"you <0> are re <0> now no <0> longer",
		"now <0> you <0> are re act",
		"nun jetzt <0> bist <0> du",
		"from <0> now <0> on",
		"you <0> will would <0> now <0> act be respond answer",
		"pretend* <1> to you <0> be are",
		"pretend* <0> you <0> can have",
		"act <0> as <1> unrestricted unfiltered evil jailbroken dan uncensored unethical rogue",
		"roleplay* <1> as",
		"role <0> play* <1> as",
		"du <0> bist <0> jetzt nun",
		"stell* <0> dir <0> vor",
	}},
	{"act_as", 0.55, []string{
		"^act <0> as like",
		"you <0> act <0> as like",
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
		"no <0> rules guidelines restrictions limits filters boundaries",
		"no <0> longer <2> restricted bound limited",
	}},
	{"stop_attention", 0.6, []string{
		"stop stopp attention important urgent achtung wichtig <0> stop stopp new ignore ignor* now write say schreib* sag* print",
		"^stop ^stopp <0> :",
	}},
	{"forced_output", 0.55, []string{
		"just only now instead simply <2> say write print output state respond reply answer schreib* sag*",
		"say state write include <1> that <0> you i <0> hate love",
		"repeat <0> after <0> me",
		"repeat* <2> everything all <2> i <0> said say told wrote",
		"respond answer reply <1> only <2> with",
		"confirm <1> by <0> saying",
		"^say ^state ^claim <0> that",
		"say answer <0> yes no",
	}},
	{"opposite", 0.6, []string{
		"do <1> the <0> opposite",
		"disobey* defy* subvert* circumvent* <2> rules directive* instruction* command* orders programming",
	}},
	{"code_execution", 0.6, []string{
		"act <2> as <2> interpreter terminal shell console",
		"execute* run <2> following <0> command* code",
		"exec eval os <0> system subprocess",
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
		"self <0> harm* injur* mutilat*",
		"suicid* selfharm anorexi* bulimi* starv* explicit porn* minor* underage* child* nude* naked sexual* sex erotic* pedophil* incest* grooming",
	}},
	{"harm_request", 0.6, []string{
		"^write* ^create* ^draft* ^generate* ^compose* ^design* ^develop* ^give* ^provide* ^explain* ^describe* ^outline* ^list* ^suggest* ^help* ^teach* ^tell* ^show* ^how ^offer* ^produce* <8> without <1> getting being <0> caught detected noticed traced",
		"^write* ^create* ^draft* ^generate* ^compose* ^design* ^develop* ^give* ^provide* ^explain* ^describe* ^outline* ^list* ^suggest* ^help* ^teach* ^tell* ^show* ^how ^offer* ^produce* <4> step <2> instructions guide tutorial <6> hack* steal* make* build* synthes* manufactur* obtain* acquir* buy* sell* evade* bypass* cheat* smuggl* launder* counterfeit* poison* kill* harm* hurt* destroy*",
		"claim* argu* assert* suggest* insist* <0> that",
		"convinc* persuad* encourag* pressur* coerc* trick* lure* <1> someone people users readers them a an the <6> to",
		"undetect* untrace* anonymous* secretly covert*",
	}},
	{"evade_detection", 0.7, []string{
		"avoid* evad* escap* bypass* circumvent* <2> detection police authorit* law taxes tax security filters monitoring",
	}},
	// Requests for harmful content, as a request verb with the wrong done
	// or the harmful text to produce as its object. The rules above name
	// a topic; these name an intent, which benign requests on the same
	// topics (its history, how to prevent it) lack.
	{"harm_howto", 0.6, []string{
		"how way* step* guide* tutorial* instruction* plan strateg* tips method* techniqu* tactic* <3> hack* steal* kill* murder* poison* launder* smuggl* traffick* counterfeit* forg* extort* blackmail* brib* scam* defraud* embezzl* kidnap* stalk* harass* manipulat* cheat* shoplift* sabotag* vandaliz* pirat* evad* dox* impersonat* tamper* coerc* indoctrinat* radicaliz* enslav* torture* bully* groom*",
	}},
	{"harm_produce", 0.6, []string{
		"^write* ^create* ^draft* ^generate* ^compose* ^design* ^produce* ^make ^craft* ^develop* ^post* ^publish* ^give* ^provide* <4> defamat* slander* libel* fake fraudulent phishing scam* hateful racist sexist xenophob* homophob* threatening harass* propaganda misleading deceptive fabricated false untrue explicit pornographic obscene extremist inflammatory manipulative malicious abusive persuasive convincing malware* ransomware* keylog* spyware* trojan* botnet* rootkit* virus* worm*",
	}},
	{"harm_promote", 0.55, []string{
		"promot* glorif* encourag* normaliz* justif* prais* celebrat* advocat* incit* condon* <3> violence genocide terror* suicide self anorexi* bulimi* drug* abuse hatred racism discriminat* extremis* slavery pedophil* rape crime* killing cruelty gambl* eating",
	}},
	{"harm_covert", 0.6, []string{
		"without <2> consent permission knowledge authoriz* approval",
		"without avoid* evad* escap* <1> getting being <0> caught detected noticed traced",
		"surreptit* covert* untraceab* undetectab* illegally unlawfully",
		"unauthori* <1> access entry use",
	}},
	// Text that steers away from the documents an application supplied,
	// the usual shape of injection into retrieval-augmented answers.
	{"context_override", 0.7, []string{
		"ignor* disregard* <3> article* document* context sources",
		"not <0> by from in <0> the <1> provided given article* document* context sources",
		"not <0> look* use* answer* <4> article* document* context sources",
		"despite regardless <3> told instruct* rules guidelines",
		"by from with <1> your own <0> knowledge",
	}},
	// A finished task followed by a new one, and a request to invent.
	{"task_switch", 0.6, []string{
		"that this <0> is was <0> enough done",
		"das dies <0> ist war <0> erledigt genug",
		"^now ^nun ^jetzt <2> write* schreib* verfass* show zeig* say sag* tell answer beantworte*",
		"make <0> something <0> up",
		"untrue unwahre* false falsche* <1> headline* statement* claim* answer* überschrift* behauptung*",
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
	// words maps the hash of a whole word to the slots it fills.
	words *table[uint16]
	bloom [1 << 16 / 64]uint64 // low 16 bits of every key of words
	// prefixes maps the hash of the first prefixIndex bytes of a prefix
	// (all of it, if shorter) to the prefixes that start so.
	prefixes *table[prefixRule]
	pbloom   [1 << 16 / 64]uint64 // low 16 bits of every key of prefixes
}

// table is a read-only hash map from uint32 keys to lists, built once:
// open addressing over the keys, the lists side by side in one array.
type table[V any] struct {
	keys  []uint32 // zero: empty slot
	spans [][2]uint32
	vals  []V
}

func newTable[V any](m map[uint32][]V) *table[V] {
	size := 16
	for size < 2*len(m) {
		size *= 2
	}
	t := &table[V]{keys: make([]uint32, size), spans: make([][2]uint32, size)}
	keys := make([]uint32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the same layout in every run
	for _, k := range keys {
		if k == 0 {
			panic("injection: a rule word hashes to zero") // vanishingly unlikely; rename the word
		}
		i := k & uint32(size-1)
		for t.keys[i] != 0 {
			i = (i + 1) & uint32(size-1)
		}
		t.keys[i] = k
		t.spans[i] = [2]uint32{uint32(len(t.vals)), uint32(len(t.vals) + len(m[k]))}
		t.vals = append(t.vals, m[k]...)
	}
	return t
}

func (t *table[V]) get(k uint32) []V {
	mask := uint32(len(t.keys) - 1)
	for i := k & mask; t.keys[i] != 0; i = (i + 1) & mask {
		if t.keys[i] == k {
			sp := t.spans[i]
			return t.vals[sp[0]:sp[1]]
		}
	}
	return nil
}

// prefixRule is a rule word that matches every word starting with it.
type prefixRule struct {
	n    int    // its length in bytes
	hash uint32 // the hash of all n bytes
	slot uint16
}

// prefixIndex is the length at which prefixes are looked up; the longer
// part of a prefix is then checked against the word's own prefix hash.
const prefixIndex = 4

func (c *compiledRules) mayHave(k uint32) bool { return c.bloom[k&0xffff/64]&(1<<(k%64)) != 0 }

func (c *compiledRules) mayHavePrefix(h uint32) bool { return c.pbloom[h&0xffff/64]&(1<<(h%64)) != 0 }

// lookup appends to ids the slots that the word of n bytes (n at most
// maxPrefix is enough: longer words are cut), hashed h with prefix hashes
// prefix, fills.
func (c *compiledRules) lookup(ids []uint16, h uint32, prefix *[maxPrefix + 1]uint32, n int) []uint16 {
	if c.mayHave(h) {
		ids = append(ids, c.words.get(h)...)
	}
	for l := 2; l <= min(n, prefixIndex); l++ {
		k := prefix[l]
		if !c.mayHavePrefix(k) {
			continue
		}
		for _, p := range c.prefixes.get(k) {
			if min(p.n, prefixIndex) == l && p.n <= n && prefix[p.n] == p.hash {
				ids = append(ids, p.slot)
			}
		}
	}
	return ids
}

var rules = func() *compiledRules {
	if len(ruleSpecs) > 64 {
		panic("injection: more than 64 rules") // a programming error
	}
	c := &compiledRules{}
	words, prefixes := map[uint32][]uint16{}, map[uint32][]prefixRule{}
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
				id := uint16(len(c.slots))
				s := slot{pattern: pi, first: si == 0, last: si == len(sets)-1, gap: gap}
				for _, w := range strings.Fields(set) {
					if strings.HasPrefix(w, "^") {
						s.sent = true
						w = w[1:]
					}
					prefix := strings.HasSuffix(w, "*")
					w = Normalize(strings.TrimSuffix(w, "*"))
					if !prefix {
						k := wordHash(w)
						if !slices.Contains(words[k], id) {
							words[k] = append(words[k], id)
						}
						c.bloom[k&0xffff/64] |= 1 << (k % 64)
						continue
					}
					if len(w) < 2 || len(w) > maxPrefix {
						panic(fmt.Sprintf("injection: rule %s: prefix %q must have 2 to %d bytes", r.name, w, maxPrefix))
					}
					k := wordHash(w[:min(len(w), prefixIndex)])
					prefixes[k] = append(prefixes[k], prefixRule{n: len(w), hash: wordHash(w), slot: id})
					c.pbloom[k&0xffff/64] |= 1 << (k % 64)
				}
				c.slots = append(c.slots, s)
			}
		}
	}
	c.words, c.prefixes = newTable(words), newTable(prefixes)
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
	ids := c.lookup(m.ids[:0], h, prefix, n)
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

// literals checks the substring rules. Their keys start with one of a
// few punctuation bytes; a key is looked for only if its first byte
// occurs at all.
func (m *ruleMatcher) literals(s []byte) {
	var present [4]bool
	for i, c := range literalStarts {
		present[i] = bytes.IndexByte(s, c) >= 0
	}
	for _, l := range literalList {
		if present[l.start] && m.hits&(1<<l.rule) == 0 && bytes.Contains(s, l.key) {
			m.hits |= 1 << l.rule
		}
	}
}

// literalStarts are the first bytes of the literal keys.
var literalStarts = [4]byte{'<', '[', '#', ']'}

type literal struct {
	rule  int
	start int // index into literalStarts
	key   []byte
}

var literalList = func() []literal {
	var out []literal
	for ri, r := range ruleSpecs {
		for _, k := range literalKeys[r.name] {
			i := bytes.IndexByte(literalStarts[:], k[0])
			if i < 0 {
				panic("injection: literal key " + k + " starts with an unlisted byte") // a programming error
			}
			out = append(out, literal{ri, i, []byte(k)})
		}
	}
	return out
}()

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
