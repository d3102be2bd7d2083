package pii

import (
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/attest-ai/attest/internal/guard/linear"
)

// Name recognition. Runs of capitalised words ("Teresa Kreutzmann", "New
// Zealand", "SEINÄJOKI") are cut out of the text; every word of a run is
// described by hashed features (the word, its affixes and shape, gazetteer
// hits, the words around the run, where the run sits in its line) and a
// three-class linear model labels it PERSON, LOCATION or neither.
// Consecutive words with the same label form one finding.

const (
	labelO = iota
	labelPerson
	labelLocation
	nameClasses
)

const (
	nameLookback  = 64 // bytes of context before a run
	nameLookahead = 48 // bytes of context after a run
	maxRunTokens  = 12
)

// token kinds
const (
	tWord = iota
	tNum
	tPunct
	tNewline
)

type ntok struct {
	s, e   int
	kind   uint8
	upper  bool   // first letter upper case
	caps   bool   // every letter upper case
	h      uint64 // hashLower of the text without a final full stop
	lh     uint32 // h folded to 32 bits, for features
	lower  string // lower-case text, set only for address lines
	street bool   // a street word, set only for address lines
	ascii  bool   // the word is ASCII
	hashed bool   // h and lh are set
	filled bool   // h, lh and flags are set
	flags  uint16
}

// readTok reads the token at or after i, skipping spaces but not newlines.
func readTok(t string, i, limit int) (ntok, int) {
	for i < limit && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r') {
		i++
	}
	if i >= limit {
		return ntok{s: limit, e: limit, kind: tNewline}, limit
	}
	c := t[i]
	tk := ntok{s: i, kind: tWord, caps: true}
	switch {
	case c == '\n':
		return ntok{s: i, e: i + 1, kind: tNewline}, i + 1
	case c >= 'A' && c <= 'Z':
		tk.upper = true
	case c >= 'a' && c <= 'z':
	case c >= '0' && c <= '9':
		j := i
		for j < limit && t[j] >= '0' && t[j] <= '9' {
			j++
		}
		return ntok{s: i, e: j, kind: tNum}, j
	case c < 0x80:
		return ntok{s: i, e: i + 1, kind: tPunct}, i + 1
	default:
		r, size := utf8.DecodeRuneInString(t[i:limit])
		if !unicode.IsLetter(r) {
			return ntok{s: i, e: i + size, kind: tPunct}, i + size
		}
		tk.upper = unicode.IsUpper(r) || unicode.IsTitle(r)
	}
	// Read the letters, hashing ASCII words in lower case on the way.
	j := i
	letters := 0
	ascii := true
	h := uint64(fnvOffset64)
	for j < limit {
		var r rune
		var size int
		if c := t[j]; c < 0x80 {
			switch {
			case c >= 'a' && c <= 'z':
				letters++
				tk.caps = false
				h = (h ^ uint64(c)) * fnvPrime64
				j++
				continue
			case c >= 'A' && c <= 'Z':
				letters++
				h = (h ^ uint64(c+'a'-'A')) * fnvPrime64
				j++
				continue
			}
			r, size = rune(c), 1
		} else {
			ascii = false
			r, size = utf8.DecodeRuneInString(t[j:limit])
		}
		switch {
		case r >= utf8.RuneSelf && unicode.IsLetter(r):
			letters++
			if unicode.IsLower(r) {
				tk.caps = false
			}
		case r >= utf8.RuneSelf && unicode.Is(unicode.Mn, r):
		case (r == '-' || r == '\'') && j+size < limit:
			// Hyphens and apostrophes join letters: Hauta-aho, O'Brien;
			// a possessive 's does not.
			n, _ := utf8.DecodeRuneInString(t[j+size : limit])
			if !unicode.IsLetter(n) || r == '\'' && (n == 's' || n == 'S') && (j+size+1 >= limit || !isLetterAt(t, j+size+1, limit)) {
				goto done
			}
			h = (h ^ uint64(r)) * fnvPrime64
		default:
			goto done
		}
		j += size
	}
done:
	if ascii {
		tk.h, tk.hashed, tk.ascii = h, true, true
		tk.lh = uint32(h) ^ uint32(h>>32)
	}
	// Initials and abbreviations keep their full stop: "P.", "St.".
	if j < limit && t[j] == '.' && (letters == 1 || ascii && letters <= 4 && abbrevs().get(h) != 0) {
		j++
	}
	tk.e = j
	tk.caps = tk.caps && letters > 1
	return tk, j
}

// abbrevs holds the hashes of the abbreviations that keep their full stop.
var abbrevs = sync.OnceValue(func() *wordTable { return wordSet("mr mrs ms dr st jr sr prof ul av avda apt mt ft") })

// wordSet is a table of the space-separated words, each with value 1.
func wordSet(list string) *wordTable {
	words := strings.Fields(list)
	t := newWordTable(len(words))
	for _, w := range words {
		t.add(hashLower(w), 1)
	}
	return t
}

func isLetterAt(t string, i, limit int) bool {
	r, _ := utf8.DecodeRuneInString(t[i:limit])
	return unicode.IsLetter(r)
}

// fill looks a word up in the gazetteer and hashes its lower-case form.
func (tk *ntok) fill(t string, g *gazetteer) {
	if tk.kind != tWord || tk.filled {
		return
	}
	tk.hash(t)
	tk.flags = g.words.get(tk.h)
	tk.filled = true
}

// nameRun is a run of capitalised words with the tokens around it.
type nameRun struct {
	lower  bool   // the text has no capital letters
	before []ntok // up to three tokens before the run, nearest last
	toks   []ntok
	after  []ntok // up to two tokens after the run
	phrase uint16 // bit k: token k is part of a known multi-word place
	prep   bool   // a preposition of place stands right before the run
	// The classifier's label of each token (-1: a connector, which takes
	// its neighbours' label) and its probability.
	label [maxRunTokens]int8
	prob  [maxRunTokens]float32
}

// nameRuns finds the runs of capitalised words that start at the collected
// word positions. Runs that hold only ordinary words ("The", "Thank you")
// are skipped before any feature is computed.
func nameRuns(t string, caps []span, lower bool, ops *int, runs []nameRun, arena *[]ntok) []nameRun {
	g := gaz()
	consumed := 0
	for _, w := range caps {
		if w.start < consumed {
			continue
		}
		if !lower && plainWord(t, w, g) {
			continue
		}
		run, end := runAt(t, w.start, w.end, g, lower, ops, arena)
		consumed = end
		if len(run.toks) > 0 {
			runs = append(runs, run)
		}
	}
	return runs
}

// runAt builds the run that starts in the whitespace-delimited word
// [ws, we) and returns it with the offset where it ends.
func runAt(t string, ws, we int, g *gazetteer, lower bool, ops *int, arena *[]ntok) (nameRun, int) {
	r := nameRun{lower: lower}
	var toks [maxRunTokens]ntok
	nt := 0
	*ops += nameLookback + nameLookahead
	// In text written wholly in lower case a name is a word that is not in
	// the English word lists.
	nameLike := func(tk *ntok) bool {
		if tk.kind != tWord {
			return false
		}
		if tk.upper || !lower {
			return tk.upper
		}
		tk.fill(t, g)
		return tk.flags&(gWord|gCommon|gConnector|gTitle|gStreet|gOrg) == 0 && tk.e-tk.s >= 3
	}
	i := ws
	// Skip leading punctuation inside the word, as in "(Kevin".
	lead := ws
	for {
		*ops++
		tk, next := readTok(t, i, len(t))
		if tk.s >= we || tk.kind == tNewline {
			return r, we
		}
		if nameLike(&tk) {
			toks[0], nt = tk, 1
			lead, i = tk.s, next
			break
		}
		i = next
	}
	for nt < maxRunTokens {
		*ops++
		tk, next := readTok(t, i, len(t))
		if tk.kind != tWord || tk.s > i+2 {
			break
		}
		if nameLike(&tk) {
			toks[nt] = tk
			nt++
			i = next
			continue
		}
		if tk.upper {
			break
		}
		if tk.fill(t, g); tk.flags&gConnector == 0 {
			break
		}
		// A connector joins the run only if a capitalised word follows.
		tk2, next2 := readTok(t, next, len(t))
		if !nameLike(&tk2) || tk2.s > next+2 || nt >= maxRunTokens-1 {
			break
		}
		toks[nt], toks[nt+1] = tk, tk2
		nt += 2
		i = next2
	}
	// Keep the run on the stack until it proves worth classifying, then
	// move it to the shared array.
	end := toks[nt-1].e
	for k := range nt {
		toks[k].fill(t, g)
	}
	var phrase uint16
	if nt > 1 {
		for s := range nt {
			// The longest known place of up to five words starting here.
			h, longest := toks[s].h, 0
			for e := s + 1; e < min(nt, s+5); e++ {
				h = hashLowerFrom(hashByte(h, ' '), strings.TrimSuffix(t[toks[e].s:toks[e].e], "."))
				if g.phrases.get(h) != 0 {
					longest = e + 1
				}
			}
			for k := s; k < longest; k++ {
				phrase |= 1 << k
			}
		}
	}
	if !lower {
		// Ordinary words at the edge of a run ("In Belgium", "Carry Me
		// Back To Poland", "University of Vadsa") are its context, not
		// part of a name: the run starts after them and ends before the
		// next one, which starts a run of its own.
		k0 := 0
		for k0 < nt && edgeTok(toks[k0], phrase&(1<<k0) != 0) {
			k0++
		}
		if k0 == nt {
			return r, end
		}
		k1 := k0 + 1
		for k1 < nt && !edgeTok(toks[k1], phrase&(1<<k1) != 0) {
			k1++
		}
		for k1 > k0+1 && toks[k1-1].kind == tWord && !toks[k1-1].upper {
			k1-- // a connector does not end a name
		}
		if k0 > 0 || k1 < nt {
			copy(toks[:], toks[k0:k1])
			phrase = phrase >> k0 & (1<<(k1-k0) - 1)
			nt = k1 - k0
			lead = toks[0].s
			end = toks[nt-1].e
		}
		if plainToks(toks[:nt], phrase) {
			return r, end
		}
	}
	a := len(*arena)
	*arena = append(*arena, toks[:nt]...)
	r.toks = (*arena)[a:len(*arena):len(*arena)]
	r.phrase = phrase
	// Context before: the two tokens before the run, read backwards but
	// never more than nameLookback bytes back, so that the result does not
	// depend on older text.
	floor := max(0, lead-nameLookback)
	var before [2]ntok
	nb := 0
	for j := lead; nb < 2; {
		tk, ok := prevTok(t, j, floor)
		if !ok {
			break
		}
		before[nb] = tk
		nb++
		j = tk.s
	}
	a = len(*arena)
	for k := nb - 1; k >= 0; k-- {
		*arena = append(*arena, before[k])
	}
	r.before = (*arena)[a:len(*arena):len(*arena)]
	a = len(*arena)
	for j := end; len(*arena)-a < 2 && j < min(len(t), end+nameLookahead); {
		tk, next := readTok(t, j, min(len(t), end+nameLookahead))
		if tk.s >= next {
			break
		}
		*arena = append(*arena, tk)
		j = next
	}
	r.after = (*arena)[a:len(*arena):len(*arena)]
	for k := range r.before {
		r.before[k].fill(t, g)
	}
	for k := range r.after {
		r.after[k].fill(t, g)
	}
	return r, end
}

// prevTok reads the token that ends at or before i, looking no further
// back than floor. It mirrors readTok closely enough for context features.
func prevTok(t string, i, floor int) (ntok, bool) {
	for i > floor && (t[i-1] == ' ' || t[i-1] == '\t' || t[i-1] == '\r') {
		i--
	}
	if i <= floor {
		return ntok{}, false
	}
	c := t[i-1]
	switch {
	case c == '\n':
		return ntok{s: i - 1, e: i, kind: tNewline}, true
	case c >= '0' && c <= '9':
		j := i
		for j > floor && t[j-1] >= '0' && t[j-1] <= '9' {
			j--
		}
		if j == floor && j > 0 {
			return ntok{}, false // cut off by the window
		}
		return ntok{s: j, e: i, kind: tNum}, true
	case c < 0x80 && !isAlnum(c) && c != '.':
		return ntok{s: i - 1, e: i, kind: tPunct}, true
	}
	j := i
	if c == '.' {
		j--
	}
	for j > floor {
		b := t[j-1]
		if b >= 0x80 || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || (b == '-' || b == '\'') && j-1 > floor && j < i && isWordByte(t[j-2]) {
			j--
			continue
		}
		break
	}
	if j == i || (c == '.' && j == i-1) {
		return ntok{s: i - 1, e: i, kind: tPunct}, true
	}
	if j == floor && j > 0 {
		return ntok{}, false
	}
	tk, _ := readTok(t, j, i)
	if tk.kind != tWord {
		return ntok{s: i - 1, e: i, kind: tPunct}, true
	}
	tk.e = i
	return tk, true
}

func isWordByte(b byte) bool { return b >= 0x80 || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// hash sets the lower-case hashes of a word token.
func (tk *ntok) hash(t string) {
	if tk.kind != tWord || tk.hashed {
		return
	}
	tk.hashed = true
	tk.h = hashLower(strings.TrimSuffix(t[tk.s:tk.e], "."))
	tk.lh = uint32(tk.h) ^ uint32(tk.h>>32)
}

// plainWord is a fast path for the commonest capitalised word: a lone
// ordinary word such as a sentence's first ("The", "Please,"), followed by
// a word in lower case.
func plainWord(t string, w span, g *gazetteer) bool {
	e := w.end
	for e > w.start && class[t[e-1]]&cEndPunct != 0 {
		e--
	}
	word := t[w.start:e]
	if len(word) < 1 || word[0] < 'A' || word[0] > 'Z' {
		return false
	}
	// Capitalised ("Provide", "I'm") or shouted ("COMMAND") plain ASCII,
	// hashed in lower case on the way.
	h := hashByte(fnvOffset64, word[0]+'a'-'A')
	for i := 1; i < len(word); i++ {
		c := word[i]
		switch {
		case c >= 'a' && c <= 'z', c == '\'':
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		default:
			return false
		}
		h = hashByte(h, c)
	}
	fl := g.words.get(h)
	if fl&(gCommon|gWord|gEnglishTop) == 0 || fl&(gFirst|gLast|gPlace|gState|gConnector) != 0 {
		return false
	}
	// The next word must not continue a run.
	i := w.end
	for i < len(t) && (t[i] == ' ' || t[i] == '\t') {
		i++
	}
	return i >= len(t) || !(t[i] >= 'A' && t[i] <= 'Z' || t[i] >= 0x80)
}

// edgeTok reports whether a token of a run is an ordinary word, a title,
// an organisation word or a lower-case connector rather than part of a
// name: such tokens are trimmed from the ends of a run.
func edgeTok(tk ntok, phrase bool) bool {
	if phrase || tk.flags&(gFirst|gLast|gPlace|gState) != 0 {
		return false
	}
	return !tk.upper || tk.flags&(gCommon|gEnglishTop|gOrg|gTitle) != 0
}

// plainToks reports whether every word of a run is an ordinary word and
// none is a known name or place, so that it need not be classified.
func plainToks(toks []ntok, phrase uint16) bool {
	for k, tk := range toks {
		if phrase&(1<<k) != 0 || tk.flags&(gFirst|gLast|gPlace|gState) != 0 || tk.flags&(gCommon|gWord|gConnector|gTitle) == 0 {
			return false
		}
	}
	return true
}

// orgRun reports whether the run names an organisation by one of its
// words or the word after it.
func orgRun(r *nameRun) bool {
	for _, tk := range r.toks {
		if tk.flags&gOrg != 0 {
			return true
		}
	}
	return len(r.after) > 0 && r.after[0].flags&gOrg != 0 && r.after[0].upper
}

// featureHasher builds hashed feature buckets without allocating: every
// feature is a seed for its name mixed with hashes of its values.
type featureHasher struct {
	out []uint32
	// intrinsic leaves out the words around the run, keeping only their
	// cue classes; the trainer adds such copies of its examples so that
	// the model also learns to judge names in contexts it never saw.
	intrinsic bool
}

// mix folds v into h; it is a cheap, well-spread 32-bit combiner.
func mix(h, v uint32) uint32 {
	h ^= v
	h *= 0x9e3779b1
	return h ^ h>>15
}

// seed hashes a feature name once.
func seed(name string) uint32 { return linear.Hash(name) }

var (
	fBias, fW, fS2, fS3, fS4, fP3, fShape, fNonASCII  = seed("bias"), seed("w"), seed("s2"), seed("s3"), seed("s4"), seed("p3"), seed("shape"), seed("nonascii")
	fG, fPhrase, fGB1, fGA1, fGShape, fPos, fPosShape = seed("g"), seed("phrase"), seed("gb1"), seed("ga1"), seed("gshape"), seed("pos"), seed("pos_shape")
	fLen, fP1, fPG, fN1, fNG, fB1, fB2, fB21          = seed("len"), seed("p1"), seed("pg"), seed("n1"), seed("ng"), seed("b1"), seed("b2"), seed("b21")
	fA1, fA2, fA12, fSent, fLine, fLineNum, fLower    = seed("a1"), seed("a2"), seed("a12"), seed("sent"), seed("line"), seed("line_after_num"), seed("lowertext")
	hStart, hEnd, hNum, hNL                           = seed("^"), seed("$"), seed("#"), seed("nl")
	fCB1, fCB2, fCA1, fCB1G, fCA1G, fCBA              = seed("cb1"), seed("cb2"), seed("ca1"), seed("cb1g"), seed("ca1g"), seed("cba")
)

func (f *featureHasher) add(h uint32) { f.out = append(f.out, h) }

// flags adds one feature per gazetteer flag, or "none".
func (f *featureHasher) flags(s uint32, fl uint16) {
	if fl == 0 {
		f.add(mix(s, 0xffff))
		return
	}
	for ; fl != 0; fl &= fl - 1 {
		f.add(mix(s, uint32(bits.TrailingZeros16(fl)+1)))
	}
}

// gazClass sums up a word's gazetteer flags: whether it is a given name,
// a family name, a place, and how common it is as an ordinary word.
func gazClass(fl uint16, phrase bool) uint32 {
	var c uint32
	if fl&gFirst != 0 {
		c |= 1
	}
	if fl&gLast != 0 {
		c |= 2
	}
	if phrase || fl&(gPlace|gState) != 0 {
		c |= 4
	}
	switch {
	case fl&(gEnglishTop|gCommon) != 0:
		c |= 16
	case fl&(gEnglish|gWord) != 0:
		c |= 8
	}
	if fl&(gOrg|gStreet) != 0 {
		c |= 32
	}
	return c
}

// cueOf returns the cue class of the n-th token before a run (n > 0,
// counting back) or the first one after it (n < 0), with classes for
// missing tokens, numbers, line breaks and punctuation.
func cueOf(toks []ntok, n int) uint32 {
	var tk ntok
	switch {
	case n > 0 && len(toks) >= n:
		tk = toks[len(toks)-n]
	case n < 0 && len(toks) > 0:
		tk = toks[0]
	default:
		return 1
	}
	switch tk.kind {
	case tNum:
		return 2
	case tNewline:
		return 3
	case tPunct:
		return 4
	}
	if c := cueTable().get(tk.h); c != 0 {
		return 16 + uint32(c)
	}
	return 5
}

// shape classes
const (
	shNum = iota + 1
	shNL
	shPunct
	shInitial
	shCaps
	shAcronym
	shCapHyphen
	shCap
	shLower
)

func shape(t string, tk ntok) uint32 {
	switch {
	case tk.kind == tNum:
		return shNum
	case tk.kind == tNewline:
		return shNL
	case tk.kind == tPunct:
		return shPunct<<8 | uint32(t[tk.s])
	case tk.e-tk.s <= 2 && t[tk.e-1] == '.':
		return shInitial
	case tk.caps:
		if tk.e-tk.s <= 4 {
			return shAcronym // "ATM", "USA": rarely a person or a place
		}
		return shCaps
	case tk.upper:
		if strings.ContainsAny(t[tk.s:tk.e], "-'") {
			return shCapHyphen
		}
		return shCap
	}
	return shLower
}

// textHash is the hash that stands for a context token: its lower-case
// text for words, its shape otherwise.
func textHash(t string, tk ntok) uint32 {
	switch tk.kind {
	case tWord:
		return tk.lh
	case tNum:
		return hNum
	case tNewline:
		return hNL
	}
	return mix(hNum, shape(t, tk))
}

// suffixStart returns the byte index where the last n runes of s begin.
func suffixStart(s []byte, n int) int {
	i := len(s)
	for ; n > 0 && i > 0; n-- {
		_, size := utf8.DecodeLastRune(s[:i])
		i -= size
	}
	return i
}

func prefixEnd(s []byte, n int) int {
	i := 0
	for ; n > 0 && i < len(s); n-- {
		_, size := utf8.DecodeRune(s[i:])
		i += size
	}
	return i
}

// features describes token k of run r.
func (f *featureHasher) features(t string, r *nameRun, k int) {
	f.out = f.out[:0]
	tk := r.toks[k]
	n := len(r.toks)
	var buf [64]byte
	low := appendLower(buf[:0], strings.TrimSuffix(t[tk.s:tk.e], "."))
	f.add(fBias)
	f.add(mix(fW, tk.lh))
	if tk.ascii {
		f.add(mix(fS2, linear.HashBytes(low[max(0, len(low)-2):])))
		f.add(mix(fS3, linear.HashBytes(low[max(0, len(low)-3):])))
		f.add(mix(fS4, linear.HashBytes(low[max(0, len(low)-4):])))
		f.add(mix(fP3, linear.HashBytes(low[:min(len(low), 3)])))
	} else {
		f.add(mix(fS2, linear.HashBytes(low[suffixStart(low, 2):])))
		f.add(mix(fS3, linear.HashBytes(low[suffixStart(low, 3):])))
		f.add(mix(fS4, linear.HashBytes(low[suffixStart(low, 4):])))
		f.add(mix(fP3, linear.HashBytes(low[:prefixEnd(low, 3)])))
	}
	if r.lower {
		f.add(fLower)
	}
	sh := shape(t, tk)
	f.add(mix(fShape, sh))
	if !tk.ascii {
		f.add(fNonASCII)
	}
	f.flags(fG, tk.flags)
	if r.phrase&(1<<k) != 0 {
		f.add(fPhrase)
	}
	gclass := gazClass(tk.flags, r.phrase&(1<<k) != 0)
	var pos uint32 = 1 // middle
	switch {
	case n == 1:
		pos = 2
	case k == 0:
		pos = 3
	case k == n-1:
		pos = 4
	}
	f.add(mix(fPos, pos))
	f.add(mix(mix(fPosShape, pos), sh))
	f.add(mix(fLen, uint32(min(n, 5))))
	if k > 0 {
		f.add(mix(fP1, r.toks[k-1].lh))
		f.flags(fPG, r.toks[k-1].flags)
	}
	if k < n-1 {
		f.add(mix(fN1, r.toks[k+1].lh))
		f.flags(fNG, r.toks[k+1].flags)
	}
	// Context around the whole run.
	b1, b2 := hStart, hStart
	b1nl := true
	var b1tok ntok
	if m := len(r.before); m > 0 {
		b1tok = r.before[m-1]
		b1, b1nl = textHash(t, b1tok), b1tok.kind == tNewline
		if m > 1 {
			b2 = textHash(t, r.before[m-2])
		}
	}
	a1, a2 := hEnd, hEnd
	a1nl := true
	if len(r.after) > 0 {
		a1, a1nl = textHash(t, r.after[0]), r.after[0].kind == tNewline
		if len(r.after) > 1 {
			a2 = textHash(t, r.after[1])
		}
	}
	if !f.intrinsic {
		f.add(mix(mix(fGB1, gclass), b1))
		f.add(mix(mix(fGA1, gclass), a1))
	}
	// Cue classes of the neighbouring words generalise where the words
	// themselves were never seen in training.
	cb1, cb2, ca1 := cueOf(r.before, 1), cueOf(r.before, 2), cueOf(r.after, -1)
	f.add(mix(fCB1, cb1))
	f.add(mix(fCB2, cb2))
	f.add(mix(fCA1, ca1))
	f.add(mix(mix(fCB1G, cb1), gclass))
	f.add(mix(mix(fCA1G, ca1), gclass))
	f.add(mix(mix(mix(fCBA, cb1), ca1), uint32(min(n, 3))))
	f.add(mix(mix(mix(fGShape, gclass), sh), pos))
	if !f.intrinsic {
		f.add(mix(fB1, b1))
		f.add(mix(fB2, b2))
		f.add(mix(mix(fB21, b2), b1))
		f.add(mix(fA1, a1))
		f.add(mix(fA2, a2))
		f.add(mix(mix(fA12, a1), a2))
	}
	sentStart := b1nl
	if !sentStart && b1tok.kind == tPunct {
		switch t[b1tok.s] {
		case '.', '!', '?', '"', ':', '>':
			sentStart = true
		}
	}
	if sentStart {
		f.add(mix(fSent, pos))
	}
	if b1nl && a1nl {
		f.add(mix(fLine, sh))
		if b2 == hNum {
			f.add(fLineNum)
		}
	}
}

// appendLower appends s in lower case.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return append(dst, strings.ToLower(s[i:])...)
		}
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// classify labels each token of each run and adds the findings.
func (sc *scan) classifyNames(runs []nameRun, m *linear.Model) {
	f := featureHasher{out: make([]uint32, 0, 64)}
	var scores [nameClasses]float32
	for ri := range runs {
		r := &runs[ri]
		sc.ops += len(r.toks)
		r.prep = placePrepBefore(r)
		for k := range r.toks {
			if r.toks[k].flags&gConnector != 0 && !r.toks[k].upper {
				r.label[k] = -1
				continue
			}
			f.features(sc.t, r, k)
			m.Scores(f.out, scores[:])
			linear.Probabilities(scores[:])
			best := labelO
			for c := 1; c < nameClasses; c++ {
				if scores[c] > scores[best] {
					best = c
				}
			}
			// After "in", "from" or "near" an unfamiliar word that the
			// model thinks more likely a place than a person is a place
			// even when it leans towards neither.
			if best == labelO && r.prep && scores[labelLocation] >= prepPlaceProb && scores[labelLocation] > scores[labelPerson] {
				best = labelLocation
			}
			r.label[k], r.prob[k] = int8(best), scores[best]
		}
	}
	sc.voteLists(runs)
	for ri := range runs {
		if r := &runs[ri]; !orgRun(r) { // "Galorath Incorporated", "Morgan Stanley Bank"
			sc.emitNames(r)
		}
	}
	sc.propagateNames(runs)
}

// runLabel returns the one label that all words of a run share, or -1.
func runLabel(r *nameRun) int {
	l := -1
	for k := range r.toks {
		switch {
		case r.label[k] < 0:
		case l < 0:
			l = int(r.label[k])
		case l != int(r.label[k]):
			return -1
		}
	}
	return l
}

// voteLists makes the people and places of a list agree: in "They had 6:
// Gaetane, Hannah, Anthony and Derek" an unfamiliar name labelled a place
// among names labelled people becomes a person too, and the other way
// round. A list is three or more runs joined by commas, "and", "or" or
// "&".
func (sc *scan) voteLists(runs []nameRun) {
	for i := 0; i < len(runs); {
		j := i + 1
		for j < len(runs) && listJoint(sc.t, runs[j-1].toks[len(runs[j-1].toks)-1].e, runs[j].toks[0].s) {
			j++
		}
		if j-i >= 3 {
			var n [nameClasses]int
			for k := i; k < j; k++ {
				if l := runLabel(&runs[k]); l >= 0 {
					n[l]++
				}
			}
			from, to := -1, -1
			switch {
			case n[labelPerson] >= 2 && n[labelPerson] > n[labelLocation]:
				from, to = labelLocation, labelPerson
			case n[labelLocation] >= 2 && n[labelLocation] > n[labelPerson]:
				from, to = labelPerson, labelLocation
			}
			for k := i; k < j && from >= 0; k++ {
				r := &runs[k]
				for x := range r.toks {
					if int(r.label[x]) == from {
						r.label[x] = int8(to)
					}
				}
			}
		}
		i = j
	}
}

// listJoint reports whether t[a:b] joins two items of a list.
func listJoint(t string, a, b int) bool {
	if b <= a || b-a > 7 {
		return false
	}
	switch strings.TrimSpace(t[a:b]) {
	case ",", "and", "or", "&", ", and", ", or":
		return true
	}
	return false
}

// propagateRange bounds how far a name is carried to a bare repetition,
// so that streaming, which sees only a window of text, agrees with a scan
// of the whole text.
const propagateRange = 256

// propagateNames marks runs that repeat a word of a nearby PERSON finding
// ("Alvir spent a year ... assistant to Alvir D. Pušaver"). People and runs
// are both in text order, so a sliding window keeps this linear.
func (sc *scan) propagateNames(runs []nameRun) {
	var people []Finding
	for _, f := range sc.found {
		if f.Type == Person && f.Score >= 0.6 && f.End-f.Start <= 128 {
			people = append(people, f)
		}
	}
	if len(people) == 0 {
		return
	}
	slices.SortFunc(people, func(a, b Finding) int { return a.Start - b.Start })
	t := sc.t
	lo := 0
	for ri := range runs {
		r := &runs[ri]
		if len(r.toks) != 1 || r.toks[0].e-r.toks[0].s < 3 || r.toks[0].e-r.toks[0].s > 64 {
			continue
		}
		tk := r.toks[0]
		for lo < len(people) && people[lo].Start < tk.s-propagateRange {
			lo++
		}
		w := t[tk.s:tk.e]
		for _, p := range people[lo:] {
			sc.ops++
			if p.Start > tk.s+propagateRange {
				break
			}
			if p.Start <= tk.s && tk.e <= p.End {
				continue
			}
			if containsToken(t[p.Start:p.End], w) {
				sc.add(Person, tk.s, tk.e, 0.6)
				break
			}
		}
	}
}

// containsToken reports whether w occurs in s as a whole word.
func containsToken(s, w string) bool {
	for off := 0; ; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return false
		}
		i += off
		e := i + len(w)
		if (i == 0 || s[i-1] == ' ') && (e == len(s) || s[e] == ' ' || s[e] == '.' || s[e] == ',') {
			return true
		}
		off = i + 1
	}
}

// minPlaceProb is the least average probability a run of words needs to
// be reported as a place. It is set above the scanner's threshold
// because place names are often confused with the parts of a street
// address and with company names; cross-validation trades a little
// recall for more precision here.
const minPlaceProb = 0.6

// prepPlaceProb is the least probability of a place right after a
// preposition of place ("in Flateyri", "from Kenosha"). The preposition
// is evidence that the model, which weighs it against many other
// features, undervalues for towns it has never seen; such a place also
// gets the context boost that other recognisers give their cue words.
const prepPlaceProb = 0.4

// placePreps are the prepositions that put a place right after them.
// "to" and "at" are left out: people and companies follow them as often.
var placePreps = sync.OnceValue(func() *wordTable { return wordSet("in from near") })

// placePrepBefore reports whether the word right before a run is a
// preposition of place.
func placePrepBefore(r *nameRun) bool {
	m := len(r.before)
	return m > 0 && r.before[m-1].kind == tWord && !r.before[m-1].upper && placePreps().get(r.before[m-1].h) != 0
}

func (sc *scan) emitNames(r *nameRun) {
	labels, probs := r.label[:len(r.toks)], r.prob[:len(r.toks)]
	n := len(r.toks)
	for k := 0; k < n; {
		l := int(labels[k])
		if l <= labelO {
			k++
			continue
		}
		start, j := k, k+1
		sum, cnt := float64(probs[k]), 1
		for j < n && (int(labels[j]) == l || (labels[j] == -1 && j+1 < n && int(labels[j+1]) == l)) {
			if int(labels[j]) == l {
				sum += float64(probs[j])
				cnt++
			}
			j++
		}
		k = j
		if j == start+1 && r.toks[start].caps && r.toks[start].e-r.toks[start].s <= 3 {
			continue // a lone acronym such as "TV" or "GB"
		}
		typ, score := Person, sum/float64(cnt)
		if l == labelLocation {
			typ = Location
		}
		if typ == Location && r.prep {
			score = boost(score, true)
		}
		if typ == Location && score < minPlaceProb {
			continue
		}
		sc.add(typ, r.toks[start].s, r.toks[j-1].e, score)
	}
}
