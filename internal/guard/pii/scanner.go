package pii

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/attest-ai/attest/internal/guard/linear"
	"github.com/attest-ai/attest/internal/guard/norm"
)

// DefaultMinScore is the confidence below which findings are dropped when
// a policy does not say otherwise.
const DefaultMinScore = 0.5

// Scanner finds entities of the enabled types. It is safe for concurrent
// use.
type Scanner struct {
	enabled  map[Type]bool
	minScore float64
	names    *linear.Model // nil when PERSON, LOCATION and ADDRESS are off
	nameRecs bool          // collect name runs without classifying (training)
}

// Options configure a Scanner.
type Options struct {
	// Types to detect; none means all.
	Types []Type
	// MinScore drops findings below it; zero means DefaultMinScore.
	MinScore float64
	// NameModel replaces the embedded PERSON and LOCATION model; it is
	// used by the trainer's cross-validation.
	NameModel *linear.Model
}

// NewScanner returns a scanner. It fails only if name detection is enabled
// and the embedded name model does not match its recorded digest.
func NewScanner(o Options) (*Scanner, error) {
	s := &Scanner{enabled: make(map[Type]bool), minScore: o.MinScore}
	if s.minScore <= 0 {
		s.minScore = DefaultMinScore
	}
	types := o.Types
	if len(types) == 0 {
		types = allTypes
	}
	for _, t := range types {
		if !t.Valid() {
			return nil, fmt.Errorf("unknown entity type %q; known types are %v", t, allTypes)
		}
		s.enabled[t] = true
	}
	norm.Prepare()
	if s.enabled[Person] || s.enabled[Location] || s.enabled[Address] {
		gaz() // built now rather than while the first request waits
		s.names = o.NameModel
		if s.names == nil {
			m, err := NameModel()
			if err != nil {
				return nil, err
			}
			s.names = m
		}
	}
	return s, nil
}

// MustScanner is NewScanner for callers that cannot recover; it panics if
// the embedded model is corrupt.
func MustScanner(o Options) *Scanner {
	s, err := NewScanner(o)
	if err != nil {
		panic(err)
	}
	return s
}

// byte classes for the prefilter
const (
	cSpace uint16 = 1 << iota
	cNewline
	cDigit
	cUpper
	cLower
	cAt
	cColon
	cHigh
	cSecretPunct // _ - + / = . ~ which appear inside tokens
	cEndPunct    // . , ; : ! ? " ) which may end a word
)

var class = func() (t [256]uint16) {
	for c := 0; c < 256; c++ {
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			t[c] = cSpace
		case c == '\n':
			t[c] = cSpace | cNewline
		case c >= '0' && c <= '9':
			t[c] = cDigit
		case c >= 'A' && c <= 'Z':
			t[c] = cUpper
		case c >= 'a' && c <= 'z':
			t[c] = cLower
		case c == '@':
			t[c] = cAt
		case c == ':':
			t[c] = cColon
		case c >= 0x80:
			t[c] = cHigh
		case strings.IndexByte("_-+/=.~", byte(c)) >= 0:
			t[c] = cSecretPunct
		}
		if strings.IndexByte(".,;:!?\")", byte(c)) >= 0 {
			t[c] |= cEndPunct
		}
	}
	return t
}()

// scan holds the state of one Scan call. Its slices are kept in a pool
// between calls so that a scan of ordinary text allocates little.
type scan struct {
	s     *Scanner
	t     string // folded text
	found []Finding
	caps  []span    // capitalised words, for the name recogniser
	runs  []nameRun // kept only for training (Scanner.nameRecs)
	// Scratch space: runs of the current pass, and their tokens, which
	// runs share so that each run costs no allocation.
	runBuf []nameRun
	arena  []ntok
	lines  []ntok // tokens of one address line
	// ops counts units of work; tests use it to show that the cost of a
	// scan grows linearly with its input.
	ops     int
	regions []span // runs of words with digits, for the address recogniser
	// The run of words with digits being collected.
	regionStart, regionEnd, tentative int
}

type span struct{ start, end int }

// Scan returns the entities in text, sorted by position and without
// overlaps. Offsets are bytes of text; invalid UTF-8 is tolerated.
func (s *Scanner) Scan(text string) []Finding {
	folded, m := norm.Fold(text)
	sc := scanPool.Get().(*scan)
	*sc = scan{s: s, t: folded, found: sc.found[:0], caps: sc.caps[:0], runBuf: sc.runBuf[:0], arena: sc.arena[:0], lines: sc.lines[:0], regions: sc.regions[:0]}
	sc.run()
	fs := slices.Clone(sc.resolve())
	if m != nil {
		for i := range fs {
			fs[i].Start, fs[i].End = m.Span(fs[i].Start, fs[i].End)
		}
	}
	sc.t = ""
	if cap(sc.arena) <= maxPooledTokens {
		scanPool.Put(sc)
	}
	return fs
}

// maxPooledTokens keeps the scratch of an unusually large text out of the
// pool.
const maxPooledTokens = 1 << 14

var scanPool = sync.Pool{New: func() any { return new(scan) }}

func (sc *scan) add(t Type, start, end int, score float64) {
	if !sc.s.enabled[t] || score < sc.s.minScore || end <= start {
		return
	}
	sc.found = append(sc.found, Finding{Type: t, Start: start, End: end, Score: score})
}

// nextMark returns the index of the first byte at or after i that can
// take part in an entity: a digit, a capital letter, one of ":;<=>?@", or
// a byte of a non-ASCII character; len(t) if there is none. Words made only
// of lower-case ASCII letters and other punctuation start no recogniser,
// so it skips them eight bytes at a time.
func nextMark(t string, i int) int {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	for ; i+8 <= len(t); i += 8 {
		w := t[i : i+8] // one bounds check for the eight loads below
		v := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		x := v &^ high
		// Bit 7 of each byte: x >= '0', and x > 'Z'. Neither sum carries
		// into the next byte because x < 0x80.
		ge0 := x + (0x80-'0')*ones
		gtZ := x + (0x7f-'Z')*ones
		if m := (v | ge0&^gtZ) & high; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(t); i++ {
		if c := t[i]; c >= 0x80 || c >= '0' && c <= 'Z' {
			return i
		}
	}
	return len(t)
}

// run walks the text once. Only the words holding a marked byte (see
// nextMark) are looked at; they go to the recognisers, and runs of them
// to the name and address recognisers.
func (sc *scan) run() {
	t := sc.t
	n := len(t)
	sc.ops += n
	sc.regionStart, sc.regionEnd = -1, -1
	prev := 0 // end of the last word looked at
	for i := 0; ; {
		p := nextMark(t, i)
		if p >= n {
			break
		}
		ws := p
		for ws > prev && class[t[ws-1]]&cSpace == 0 {
			ws--
		}
		var m uint16
		we := ws
		for we < n {
			c := class[t[we]]
			if c&cSpace != 0 {
				break
			}
			m |= c
			we++
		}
		sc.gap(prev, ws)
		sc.word(ws, we, m)
		prev, i = we, we
	}
	sc.gap(prev, n)
	sc.flush()
	if sc.s.enabled[PrivateKey] {
		sc.pem()
	}
	if sc.s.names != nil || sc.s.nameRecs {
		if lw := sc.lowerWords(); len(lw) > 0 {
			sc.names(lw, true)
		}
	}
	if len(sc.caps) > 0 {
		sc.names(sc.caps, false)
		if sc.s.enabled[Address] {
			sc.addresses()
		}
	}
}

// names finds and classifies the runs of name-like words starting at
// the given words.
func (sc *scan) names(words []span, lower bool) {
	runs := nameRuns(sc.t, words, lower, &sc.ops, sc.runBuf[:0], &sc.arena)
	sc.runBuf = runs
	if sc.s.nameRecs {
		sc.runs = append(sc.runs, runs...)
	}
	if sc.s.names != nil {
		sc.classifyNames(runs, sc.s.names)
	}
}

// flush hands the run of words with digits, if any, to the number
// recognisers.
func (sc *scan) flush() {
	if sc.regionStart >= 0 {
		sc.numeric(sc.regionStart, sc.regionEnd)
		if sc.s.enabled[Address] {
			sc.regions = append(sc.regions, span{sc.regionStart, sc.regionEnd})
		}
	}
	sc.regionStart, sc.regionEnd, sc.tentative = -1, -1, 0
}

// gap accounts for the unmarked words in t[a:b] while a run of words with
// digits is open: a line break or an ordinary word ends the run, but up to
// two short groups of letters may sit inside it, as in a spaced IBAN.
func (sc *scan) gap(a, b int) {
	t := sc.t
	for i := a; i < b && sc.regionStart >= 0; {
		for i < b && class[t[i]]&cSpace != 0 {
			if t[i] == '\n' {
				sc.flush()
				return
			}
			i++
		}
		ws := i
		var m uint16
		for i < b && class[t[i]]&cSpace == 0 {
			m |= class[t[i]]
			i++
		}
		if i > ws {
			sc.plainWord(ws, i, m)
		}
	}
}

// plainWord is the run bookkeeping for a word without digits.
func (sc *scan) plainWord(ws, we int, m uint16) {
	if sc.regionStart >= 0 && sc.tentative < 2 && we-ws <= 4 && m&^(cUpper|cLower|cEndPunct) == 0 {
		// A short group such as "WEST" inside a spaced IBAN joins the
		// run only if digits follow it.
		sc.tentative++
		return
	}
	sc.flush()
}

// word hands one marked word to the recognisers it may interest.
func (sc *scan) word(ws, we int, m uint16) {
	t := sc.t
	if m&cDigit != 0 {
		if sc.regionStart < 0 {
			sc.regionStart = ws
		}
		sc.regionEnd, sc.tentative = we, 0
	} else {
		sc.plainWord(ws, we, m)
	}
	if m&cAt != 0 {
		sc.atWord(ws, we)
	}
	if m&cColon != 0 {
		sc.colonWord(ws, we)
	}
	if we-ws >= 16 && (m&(cDigit|cSecretPunct) != 0 || m&(cUpper|cLower) == cUpper) {
		sc.tokenWord(ws, we)
	}
	// Names hold no "@" and no "//": e-mail addresses and URLs are not
	// name candidates even when they spell a name.
	if (sc.s.names != nil || sc.s.nameRecs) && (m&cUpper != 0 || m&cHigh != 0 && mayHoldCapital(t[ws:we])) && m&cAt == 0 &&
		!placeholder(t[ws:we]) && (m&cSecretPunct == 0 || !strings.Contains(t[ws:we], "//")) {
		sc.caps = append(sc.caps, span{ws, we})
	}
}

// mayHoldCapital reports whether a word without ASCII capitals may hold
// a capital letter of another script. It looks only at the lead bytes of
// its characters: Chinese, Japanese, Korean, Arabic and Hebrew text, which
// have no capitals, thus never reach the name recogniser.
func mayHoldCapital(w string) bool {
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c >= 0xC3 && c <= 0xD5: // Latin-1 letters to Armenian
			return true
		case c == 0xE1: // Georgian, Latin and Greek extended
			return true
		case i+1 < len(w) && (c == 0xE2 && w[i+1] >= 0xB0 && w[i+1] <= 0xB3 || // Glagolitic, Coptic
			c == 0xEA && w[i+1] >= 0x99 && w[i+1] <= 0x9F || // Cyrillic and Latin extended
			c == 0xF0 && w[i+1] == 0x90): // Deseret, Osage
			return true
		}
	}
	return false
}

// resolve keeps, of overlapping findings, the one with the higher score,
// then the longer one.
func (sc *scan) resolve() []Finding {
	fs := sc.found
	sc.ops += len(fs)
	if len(fs) == 0 {
		return nil
	}
	slices.SortFunc(fs, func(a, b Finding) int {
		if c := cmp.Compare(a.Start, b.Start); c != 0 {
			return c
		}
		return cmp.Compare(b.End, a.End)
	})
	out := fs[:0]
	for _, f := range fs {
		if len(out) > 0 {
			last := &out[len(out)-1]
			if f.Start < last.End {
				if better(f, *last) {
					*last = f
				}
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

func better(a, b Finding) bool {
	// Pattern evidence beats the name model: a token that looks random
	// next to "password" is a secret even if it is capitalised.
	if an, bn := nameType(a.Type), nameType(b.Type); an != bn {
		if !an && a.Type != Address {
			return true
		}
		if !bn && b.Type != Address {
			return false
		}
	}
	// A street address swallows the names and places inside it.
	if a.Type == Address && (b.Type == Person || b.Type == Location) && a.End-a.Start > b.End-b.Start {
		return true
	}
	if b.Type == Address && (a.Type == Person || a.Type == Location) && b.End-b.Start > a.End-a.Start {
		return false
	}
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.End-a.Start > b.End-b.Start
}

// lowerRadius is how far from any capital letter a word must be for the
// text around it to count as written in lower case.
const lowerRadius = 128

// lowerWords returns, as name candidates, the words that are not ordinary
// English and lie more than lowerRadius bytes from any capitalised word:
// in text written without capitals ("my name is lena andersson") names
// have no capital to show them. The test is local so that streaming and
// whole-text scans agree.
func (sc *scan) lowerWords() []span {
	t := sc.t
	var out []span
	g := gaz()
	prev := -(1 << 30)
	zone := func(a, b int) {
		zs, ze := max(0, a+lowerRadius), min(len(t), b-lowerRadius)
		if ze <= zs {
			return
		}
		sc.ops += ze - zs
		i := zs
		if i > 0 && class[t[i-1]]&cSpace == 0 {
			for i < ze && class[t[i]]&cSpace == 0 {
				i++
			}
		}
		for i < ze {
			for i < ze && class[t[i]]&cSpace != 0 {
				i++
			}
			ws := i
			for i < len(t) && class[t[i]]&cSpace == 0 {
				i++
			}
			if i > ze {
				break
			}
			if candidateLower(t[ws:i], g) {
				out = append(out, span{ws, i})
			}
		}
	}
	for _, w := range sc.caps {
		if !hasUpper(t[w.start:w.end]) {
			continue
		}
		zone(prev, w.start)
		prev = w.start
	}
	zone(prev, len(t)+lowerRadius+1)
	return out
}

// candidateLower reports whether a whitespace-delimited word, stripped of
// punctuation, is a lower-case word missing from the English lists.
func candidateLower(w string, g *gazetteer) bool {
	w = strings.Trim(w, ".,;:!?\"'()[]")
	if len(w) < 3 {
		return false
	}
	for i := 0; i < len(w); i++ {
		if c := w[i]; c < 0x80 && !(c >= 'a' && c <= 'z' || c == '-' || c == '\'') {
			return false
		}
	}
	return g.lookup(w)&(gWord|gCommon|gConnector|gTitle|gStreet|gOrg) == 0
}

func hasUpper(s string) bool {
	for i, r := range s {
		if r < utf8.RuneSelf {
			if r >= 'A' && r <= 'Z' {
				return true
			}
			continue
		}
		if !mayHoldCapital(s[i:]) {
			return false
		}
		if unicode.IsUpper(r) {
			return true
		}
	}
	return false
}

// placeholder reports whether a word is one of our own placeholders, such
// as <EMAIL_1> or <PERSON_T2>, which must never be detected again.
func placeholder(w string) bool {
	i := strings.IndexByte(w, '<')
	if i < 0 {
		return false
	}
	j := strings.IndexByte(w[i:], '>')
	if j < 0 {
		return false
	}
	p := w[i+1 : i+j]
	u := strings.LastIndexByte(p, '_')
	if u <= 0 {
		return false
	}
	_, ok := gazTypes[Type(p[:u])]
	return ok
}

var gazTypes = func() map[Type]bool {
	m := map[Type]bool{}
	for _, t := range allTypes {
		m[t] = true
	}
	return m
}()

func nameType(t Type) bool { return t == Person || t == Location }
