package vendor

import (
	"errors"
	"strconv"
)

// pdfKeyword is a bare token that is not an object: obj, endobj, stream, R,
// and every content-stream operator.
type pdfKeyword string

// maxDepth bounds nesting of arrays and dictionaries so hostile input cannot
// exhaust the stack.
const maxPDFDepth = 64

var (
	errEOF      = errors.New("unexpected end of data")
	errTooDeep  = errors.New("objects nested too deeply")
	errBadToken = errors.New("unexpected token")
)

// pdfLexer reads PDF tokens and objects from a byte slice.
type pdfLexer struct {
	b   []byte
	pos int
}

func isSpace(c byte) bool {
	switch c {
	case 0, '\t', '\n', '\f', '\r', ' ':
		return true
	}
	return false
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isSpace(c) && !isDelim(c) }

// skipSpace moves past white space and comments.
func (l *pdfLexer) skipSpace() {
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		if isSpace(c) {
			l.pos++
			continue
		}
		if c != '%' {
			return
		}
		for l.pos < len(l.b) && l.b[l.pos] != '\n' && l.b[l.pos] != '\r' {
			l.pos++
		}
	}
}

// token reads one object or keyword. Arrays and dictionaries are read
// whole; ">>", "]" and the like come back as keywords to the caller that
// opened them.
func (l *pdfLexer) token(depth int) (any, error) {
	l.skipSpace()
	if l.pos >= len(l.b) {
		return nil, errEOF
	}
	c := l.b[l.pos]
	switch {
	case c == '/':
		l.pos++
		return l.readName(), nil
	case c == '(':
		l.pos++
		return l.literal(), nil
	case c == '<':
		if l.pos+1 < len(l.b) && l.b[l.pos+1] == '<' {
			l.pos += 2
			return l.readDict(depth + 1)
		}
		l.pos++
		return l.hex(), nil
	case c == '>':
		if l.pos+1 < len(l.b) && l.b[l.pos+1] == '>' {
			l.pos += 2
			return pdfKeyword(">>"), nil
		}
		l.pos++
		return pdfKeyword(">"), nil
	case c == '[':
		l.pos++
		return l.readArray(depth + 1)
	case c == ']', c == ')', c == '{', c == '}':
		l.pos++
		return pdfKeyword(c), nil
	case c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'):
		return l.number(), nil
	}
	start := l.pos
	for l.pos < len(l.b) && isRegular(l.b[l.pos]) {
		l.pos++
	}
	if l.pos == start {
		l.pos++
		return nil, errBadToken
	}
	switch w := string(l.b[start:l.pos]); w {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	default:
		return pdfKeyword(w), nil
	}
}

// object reads one object, turning "n g R" into a ref. Keywords other than
// the references' R are errors here.
func (l *pdfLexer) object(depth int) (any, error) {
	if depth > maxPDFDepth {
		return nil, errTooDeep
	}
	v, err := l.token(depth)
	if err != nil {
		return nil, err
	}
	if n, ok := v.(int64); ok {
		return l.maybeRef(n), nil
	}
	if k, ok := v.(pdfKeyword); ok {
		return k, nil
	}
	return v, nil
}

// maybeRef looks ahead for "gen R" after an integer.
func (l *pdfLexer) maybeRef(n int64) any {
	save := l.pos
	l.skipSpace()
	gen, ok := l.digits()
	if ok {
		l.skipSpace()
		if l.pos < len(l.b) && l.b[l.pos] == 'R' && (l.pos+1 == len(l.b) || !isRegular(l.b[l.pos+1])) {
			l.pos++
			if n >= 0 && n < 1<<31 && gen >= 0 && gen < 1<<16 {
				return pdfRef{int(n), int(gen)}
			}
			return nil
		}
	}
	l.pos = save
	return n
}

// digits reads an unsigned decimal integer.
func (l *pdfLexer) digits() (int64, bool) {
	start := l.pos
	var n int64
	for l.pos < len(l.b) && l.b[l.pos] >= '0' && l.b[l.pos] <= '9' {
		if n < 1<<40 {
			n = n*10 + int64(l.b[l.pos]-'0')
		}
		l.pos++
	}
	return n, l.pos > start
}

func (l *pdfLexer) number() any {
	start := l.pos
	real := false
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		if c == '.' {
			real = true
		} else if !(c >= '0' && c <= '9') && !((c == '-' || c == '+') && l.pos == start) {
			break
		}
		l.pos++
	}
	s := string(l.b[start:l.pos])
	if !real {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	}
	// Producers write things like "--5" or "4.-2"; take what parses.
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		f = lenientFloat(s)
	}
	return f
}

func lenientFloat(s string) float64 {
	neg := false
	for len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = neg != (s[0] == '-')
		s = s[1:]
	}
	end := 0
	dot := false
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.' && !dot) {
		dot = dot || s[end] == '.'
		end++
	}
	f, _ := strconv.ParseFloat(s[:end], 64)
	if neg {
		f = -f
	}
	return f
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (l *pdfLexer) readName() pdfName {
	start := l.pos
	plain := true
	for l.pos < len(l.b) && isRegular(l.b[l.pos]) {
		if l.b[l.pos] == '#' {
			plain = false
		}
		l.pos++
	}
	raw := l.b[start:l.pos]
	if plain {
		return pdfName(raw)
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '#' && i+2 < len(raw) {
			h, ok1 := unhex(raw[i+1])
			lo, ok2 := unhex(raw[i+2])
			if ok1 && ok2 {
				out = append(out, h<<4|lo)
				i += 2
				continue
			}
		}
		out = append(out, raw[i])
	}
	return pdfName(out)
}

func (l *pdfLexer) literal() pdfString {
	var out []byte
	nest := 1
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		switch c {
		case '(':
			nest++
		case ')':
			nest--
			if nest == 0 {
				return pdfString(out)
			}
		case '\r':
			if l.pos < len(l.b) && l.b[l.pos] == '\n' {
				l.pos++
			}
			c = '\n'
		case '\\':
			if l.pos >= len(l.b) {
				return pdfString(out)
			}
			e := l.b[l.pos]
			l.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.pos < len(l.b) && l.b[l.pos] == '\n' {
					l.pos++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && l.pos < len(l.b) && l.b[l.pos] >= '0' && l.b[l.pos] <= '7'; k++ {
						v = v*8 + int(l.b[l.pos]-'0')
						l.pos++
					}
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		out = append(out, c)
	}
	return pdfString(out)
}

func (l *pdfLexer) hex() pdfString {
	var out []byte
	var hi byte
	half := false
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		if c == '>' {
			break
		}
		v, ok := unhex(c)
		if !ok {
			continue
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	return pdfString(out)
}

func (l *pdfLexer) readArray(depth int) (any, error) {
	if depth > maxPDFDepth {
		return nil, errTooDeep
	}
	var a pdfArray
	for {
		v, err := l.object(depth)
		if err != nil {
			return a, err
		}
		if k, ok := v.(pdfKeyword); ok {
			if k == "]" {
				return a, nil
			}
			// Stray keywords inside arrays are dropped, as readers do.
			continue
		}
		a = append(a, v)
	}
}

func (l *pdfLexer) readDict(depth int) (any, error) {
	if depth > maxPDFDepth {
		return nil, errTooDeep
	}
	d := pdfDict{}
	for {
		k, err := l.object(depth)
		if err != nil {
			return d, err
		}
		if k == pdfKeyword(">>") {
			return d, nil
		}
		key, ok := k.(pdfName)
		if !ok {
			continue
		}
		v, err := l.object(depth)
		if err != nil {
			return d, err
		}
		if v == pdfKeyword(">>") {
			d[key] = nil
			return d, nil
		}
		if _, isKw := v.(pdfKeyword); isKw {
			continue
		}
		d[key] = v
	}
}
