package pii

import (
	"cmp"
	"slices"
	"strings"

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
	names    bool // PERSON, LOCATION or ADDRESS enabled
}

// NewScanner returns a scanner for the given types; none means all.
// minScore of zero means DefaultMinScore.
func NewScanner(types []Type, minScore float64) *Scanner {
	s := &Scanner{enabled: make(map[Type]bool), minScore: minScore}
	if s.minScore <= 0 {
		s.minScore = DefaultMinScore
	}
	if len(types) == 0 {
		types = allTypes
	}
	for _, t := range types {
		s.enabled[t] = true
	}
	s.names = s.enabled[Person] || s.enabled[Location] || s.enabled[Address]
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
	}
	return t
}()

// scan holds the state of one Scan call.
type scan struct {
	s     *Scanner
	t     string // folded text
	found []Finding
	caps  []span // capitalised words, for the name recogniser
}

type span struct{ start, end int }

// Scan returns the entities in text, sorted by position and without
// overlaps. Offsets are bytes of text; invalid UTF-8 is tolerated.
func (s *Scanner) Scan(text string) []Finding {
	folded, m := norm.Fold(text)
	sc := &scan{s: s, t: folded}
	sc.run()
	fs := sc.resolve()
	if m != nil {
		for i := range fs {
			fs[i].Start, fs[i].End = m.Span(fs[i].Start, fs[i].End)
		}
	}
	return fs
}

func (sc *scan) add(t Type, start, end int, score float64) {
	if !sc.s.enabled[t] || score < sc.s.minScore || end <= start {
		return
	}
	sc.found = append(sc.found, Finding{Type: t, Start: start, End: end, Score: score})
}

// run walks the text once, word by word, and hands the few interesting
// words and runs of words to the recognisers.
func (sc *scan) run() {
	t := sc.t
	n := len(t)
	regionStart, regionEnd, tentative := -1, -1, 0
	flush := func() {
		if regionStart >= 0 {
			sc.numeric(regionStart, regionEnd)
		}
		regionStart, regionEnd, tentative = -1, -1, 0
	}
	for i := 0; i < n; {
		newline := false
		for i < n && class[t[i]]&cSpace != 0 {
			if t[i] == '\n' {
				newline = true
			}
			i++
		}
		if i >= n {
			break
		}
		if newline {
			flush()
		}
		ws := i
		var m uint16
		for i < n {
			c := class[t[i]]
			if c&cSpace != 0 {
				break
			}
			m |= c
			i++
		}
		we := i
		if m&cDigit != 0 {
			if regionStart < 0 {
				regionStart = ws
			}
			regionEnd, tentative = we, 0
		} else if regionStart >= 0 && tentative < 2 && we-ws <= 4 && m&^(cUpper|cLower) == 0 {
			// A short group such as "WEST" inside a spaced IBAN joins the
			// run only if digits follow it.
			tentative++
		} else {
			flush()
		}
		if m&cAt != 0 {
			sc.atWord(ws, we)
		}
		if m&cColon != 0 {
			sc.colonWord(ws, we)
		}
		if we-ws >= 16 && m&(cDigit|cSecretPunct) != 0 {
			sc.tokenWord(ws, we)
		}
		if m&(cUpper|cHigh) != 0 && sc.s.names {
			sc.caps = append(sc.caps, span{ws, we})
		}
	}
	flush()
	if sc.s.enabled[PrivateKey] {
		sc.pem()
	}
	if sc.s.names && len(sc.caps) > 0 {
		sc.names()
	}
}

// resolve keeps, of overlapping findings, the one with the higher score,
// then the longer one.
func (sc *scan) resolve() []Finding {
	fs := sc.found
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
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.End-a.Start > b.End-b.Start
}
