package pii

import (
	"strings"
	"unicode/utf8"
)

// Streaming. A response arrives in chunks and an entity may be split
// between two of them. StreamRedactor buffers the tail of the stream and
// releases text only up to a safe boundary: a space between two ordinary
// lower-case English words, across which no recogniser ever matches.
// Every recogniser looks at most a few hundred bytes around a match, so
// scanning the held text together with some already released context
// gives the same findings as scanning the whole response at once.
const (
	// StreamHold is how many bytes after a boundary must be present before
	// text up to it is released.
	StreamHold = 512
	// streamContext is how much released text is kept as left context.
	streamContext = 512
	// StreamMaxHold bounds the buffer when no safe boundary appears (a long
	// base64 blob, say); the stream is then cut at a space, or anywhere,
	// and an entity split there may be missed.
	StreamMaxHold = 64 << 10
	// streamBatch avoids rescanning for every tiny chunk.
	streamBatch = 256
)

// StreamRedactor redacts a stream of text chunks. It is not safe for
// concurrent use; it shares the placeholder state of its Redactor.
type StreamRedactor struct {
	r       *Redactor
	restore bool
	left    string // released original text kept as context
	pending string // held original text
	noCut   int    // pending[:noCut] holds no safe boundary
	res     Result
}

// Stream returns a StreamRedactor that shares r's placeholders. With
// restore set, tokenized placeholders issued for the request are put back
// into the released text, as a response should be.
func (r *Redactor) Stream(restore bool) *StreamRedactor {
	return &StreamRedactor{r: r, restore: restore, res: Result{Counts: map[Type]int{}}}
}

// Write adds a chunk and returns the text that is now safe to release,
// possibly empty.
func (s *StreamRedactor) Write(chunk string) string {
	s.pending += chunk
	if len(s.pending) < StreamHold+streamBatch {
		return ""
	}
	limit := len(s.pending) - StreamHold
	cut := s.safeCut(limit)
	if cut <= 0 {
		if len(s.pending) <= StreamMaxHold {
			return ""
		}
		cut = forcedCut(s.pending, limit)
	}
	return s.release(cut)
}

// Flush releases everything still held. Call it when the stream ends.
func (s *StreamRedactor) Flush() string {
	if s.pending == "" {
		return ""
	}
	return s.release(len(s.pending))
}

// Result returns the counts and blocked types of everything released so
// far.
func (s *StreamRedactor) Result() Result { return s.res }

func (s *StreamRedactor) release(cut int) string {
	text := s.left + s.pending
	base := len(s.left)
	found := s.r.g.Scanner.Scan(text)
	// Keep the findings that start in the part being released; a finding
	// that crosses a forced cut moves the cut back to its start.
	var mine []Finding
	for _, f := range found {
		if f.Start < base {
			continue
		}
		if f.Start >= base+cut {
			break
		}
		if f.End > base+cut {
			if f.Start > base {
				cut = f.Start - base
			} else {
				cut = f.End - base
			}
			if f.Start >= base+cut {
				break
			}
		}
		f.Start -= base
		f.End -= base
		mine = append(mine, f)
	}
	out, res := s.r.Apply(s.pending[:cut], mine)
	for t, n := range res.Counts {
		s.res.Counts[t] += n
	}
	for _, t := range res.Blocked {
		if !containsType(s.res.Blocked, t) {
			s.res.Blocked = append(s.res.Blocked, t)
		}
	}
	s.left = keepTail(s.left+s.pending[:cut], streamContext)
	s.pending = s.pending[cut:]
	s.noCut = 0
	if s.restore {
		out = s.r.Restore(out)
	}
	return out
}

func containsType(ts []Type, t Type) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// keepTail returns about the last n bytes of s, starting after a space so
// that context never begins inside a word or a character.
func keepTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	if j := strings.IndexAny(s[i:], " \n\t"); j >= 0 {
		return s[i+j+1:]
	}
	return s[i:]
}

// safeCut returns the last safe boundary at or before limit, or 0.
func (s *StreamRedactor) safeCut(limit int) int {
	p := s.pending
	g := gaz()
	for i := limit; i > s.noCut; i-- {
		if p[i-1] != ' ' || i >= len(p) {
			continue
		}
		if plainAt(p, i, g) && plainBefore(p, i-1, g) {
			return i
		}
	}
	s.noCut = limit
	return 0
}

// plainAt reports whether an ordinary lower-case word starts at i.
func plainAt(p string, i int, g *gazetteer) bool {
	j := i
	for j < len(p) && p[j] >= 'a' && p[j] <= 'z' {
		j++
	}
	if j-i < 2 || j >= len(p) || p[j] != ' ' {
		return false
	}
	return plainVocab(p[i:j], g)
}

// plainBefore reports whether an ordinary lower-case word ends at i.
func plainBefore(p string, i int, g *gazetteer) bool {
	j := i
	for j > 0 && p[j-1] >= 'a' && p[j-1] <= 'z' {
		j--
	}
	if i-j < 2 || j == 0 || p[j-1] != ' ' {
		return false
	}
	return plainVocab(p[j:i], g)
}

func plainVocab(w string, g *gazetteer) bool {
	f := g.lookup(w)
	return f&(gWord|gCommon) != 0 && f&(gConnector|gStreet|gOrg|gTitle) == 0
}

// forcedCut picks a cut when no safe boundary exists: the last space
// before limit, or limit itself moved back to a character boundary.
func forcedCut(p string, limit int) int {
	if i := strings.LastIndexAny(p[:limit], " \n\t"); i > 0 {
		return i + 1
	}
	for limit > 0 && !utf8.RuneStart(p[limit]) {
		limit--
	}
	return limit
}
