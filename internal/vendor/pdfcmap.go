package vendor

import (
	"strings"
	"unicode/utf16"
)

// pdfCMap is a parsed CMap: how to split a byte string into codes, and what
// each code means as text (ToUnicode) or as a CID (an encoding CMap).
type pdfCMap struct {
	space     []codeRange
	text      map[uint32]string
	textRange []textRange
	cid       map[uint32]int
	cidRange  []cidRange
}

type codeRange struct {
	lo, hi uint32
	n      int
}

type textRange struct {
	lo, hi uint32
	base   []uint16
}

type cidRange struct {
	lo, hi uint32
	cid    int
}

func codeOf(s pdfString) uint32 {
	var v uint32
	for i := 0; i < len(s) && i < 4; i++ {
		v = v<<8 | uint32(s[i])
	}
	return v
}

// parseCMap reads the parts of a CMap program that matter for text; it is
// lenient because real files contain all kinds of damage.
func parseCMap(data []byte) *pdfCMap {
	c := &pdfCMap{text: map[uint32]string{}, cid: map[uint32]int{}}
	l := pdfLexer{b: data}
	var pending []any
	section := ""
	for n := 0; n < 1<<20; n++ {
		v, err := l.object(0)
		if err != nil {
			if err == errEOF {
				break
			}
			continue
		}
		k, isKw := v.(pdfKeyword)
		if !isKw {
			if section != "" {
				pending = append(pending, v)
				c.take(section, &pending)
			}
			continue
		}
		switch k {
		case "begincodespacerange", "beginbfchar", "beginbfrange", "begincidchar", "begincidrange":
			section, pending = string(k), pending[:0]
		case "endcodespacerange", "endbfchar", "endbfrange", "endcidchar", "endcidrange":
			section, pending = "", pending[:0]
		}
	}
	return c
}

// take consumes a complete entry of the current section from pending.
func (c *pdfCMap) take(section string, pending *[]any) {
	p := *pending
	switch section {
	case "begincodespacerange":
		if len(p) < 2 {
			return
		}
		lo, ok1 := p[0].(pdfString)
		hi, ok2 := p[1].(pdfString)
		if ok1 && ok2 && len(lo) >= 1 && len(lo) <= 4 && len(lo) == len(hi) {
			c.space = append(c.space, codeRange{codeOf(lo), codeOf(hi), len(lo)})
		}
	case "beginbfchar":
		if len(p) < 2 {
			return
		}
		if src, ok := p[0].(pdfString); ok && len(src) <= 4 && len(c.text) < maxCMapEntries {
			c.text[codeOf(src)] = destText(p[1])
		}
	case "beginbfrange":
		if len(p) < 3 {
			return
		}
		lo, ok1 := p[0].(pdfString)
		hi, ok2 := p[1].(pdfString)
		if ok1 && ok2 && len(lo) <= 4 && len(hi) <= 4 {
			c.addRange(codeOf(lo), codeOf(hi), p[2])
		}
	case "begincidchar":
		if len(p) < 2 {
			return
		}
		src, ok := p[0].(pdfString)
		cid, ok2 := asInt(p[1])
		if ok && ok2 && len(src) <= 4 && len(c.cid) < maxCMapEntries {
			c.cid[codeOf(src)] = cid
		}
	case "begincidrange":
		if len(p) < 3 {
			return
		}
		lo, ok1 := p[0].(pdfString)
		hi, ok2 := p[1].(pdfString)
		cid, ok3 := asInt(p[2])
		if ok1 && ok2 && ok3 && len(lo) <= 4 && len(hi) <= 4 && codeOf(lo) <= codeOf(hi) && len(c.cidRange) < maxCMapRanges {
			c.cidRange = append(c.cidRange, cidRange{codeOf(lo), codeOf(hi), cid})
		}
	default:
		return
	}
	*pending = p[:0]
}

// Limits on one CMap, so that lookups stay cheap on hostile fonts.
const (
	maxCMapEntries = 1 << 17
	maxCMapRanges  = 256
)

func (c *pdfCMap) addRange(lo, hi uint32, dst any) {
	if lo > hi || hi-lo > 1<<16 || len(c.text) > maxCMapEntries {
		return
	}
	switch d := dst.(type) {
	case pdfArray:
		for i, v := range d {
			if lo+uint32(i) > hi {
				break
			}
			c.text[lo+uint32(i)] = destText(v)
		}
	case pdfString:
		units := utf16Units(d)
		if len(units) == 0 {
			return
		}
		if hi-lo <= 256 {
			for code := lo; code <= hi; code++ {
				c.text[code] = rangeText(units, code-lo)
			}
			return
		}
		if len(c.textRange) < maxCMapRanges {
			c.textRange = append(c.textRange, textRange{lo, hi, units})
		}
	}
}

func utf16Units(s pdfString) []uint16 {
	u := make([]uint16, 0, len(s)/2+1)
	for i := 0; i+1 < len(s); i += 2 {
		u = append(u, uint16(s[i])<<8|uint16(s[i+1]))
	}
	if len(s)%2 == 1 {
		u = append(u, uint16(s[len(s)-1]))
	}
	return u
}

// rangeText is the destination of a bfrange entry plus an offset added to
// its last code unit.
func rangeText(base []uint16, off uint32) string {
	u := append([]uint16(nil), base...)
	u[len(u)-1] += uint16(off)
	return string(utf16.Decode(u))
}

func destText(v any) string {
	switch d := v.(type) {
	case pdfString:
		return string(utf16.Decode(utf16Units(d)))
	case pdfName:
		t, _ := glyphName(string(d))
		return t
	}
	return ""
}

// split returns the next code in b and its length in bytes. def is the
// length to use when the CMap declares no code space.
func (c *pdfCMap) split(b []byte, def int) (uint32, int) {
	if c != nil && len(c.space) > 0 {
		for n := 1; n <= 4 && n <= len(b); n++ {
			code := codeOf(pdfString(b[:n]))
			for _, r := range c.space {
				if r.n == n && code >= r.lo && code <= r.hi {
					return code, n
				}
			}
		}
		def = c.space[0].n
	}
	n := min(def, len(b))
	return codeOf(pdfString(b[:n])), n
}

// lookupText maps a code to text.
func (c *pdfCMap) lookupText(code uint32) (string, bool) {
	if c == nil {
		return "", false
	}
	if t, ok := c.text[code]; ok {
		return t, true
	}
	for _, r := range c.textRange {
		if code >= r.lo && code <= r.hi {
			return rangeText(r.base, code-r.lo), true
		}
	}
	return "", false
}

// lookupCID maps a code to a CID through an encoding CMap.
func (c *pdfCMap) lookupCID(code uint32) (int, bool) {
	if cid, ok := c.cid[code]; ok {
		return cid, true
	}
	for _, r := range c.cidRange {
		if code >= r.lo && code <= r.hi {
			return r.cid + int(code-r.lo), true
		}
	}
	return 0, false
}

// isUnicodeCMap reports whether a predefined CMap name encodes text as
// UTF-16 or UCS-2, so that codes are themselves Unicode.
func isUnicodeCMap(n pdfName) bool {
	s := string(n)
	return strings.HasPrefix(s, "Uni") && (strings.Contains(s, "UCS2") || strings.Contains(s, "UTF16"))
}
