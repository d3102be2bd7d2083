package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is an RFC 8785 (JCS) encoder. A general-purpose JCS library
// spent 40% of the append path's CPU re-building strings byte by byte; this
// one copies already-canonical strings and numbers through untouched and
// only sorts object members. Its output is checked against the library by a
// differential fuzz test.

const maxDepth = 64

var errDepth = errors.New("JSON nested deeper than 64 levels")

// canonicalJSON returns the JCS form of a JSON value.
func canonicalJSON(in []byte) ([]byte, error) {
	// The canonical form is about as long as the input: size the output
	// once rather than grow it member by member.
	c := canon{in: in, out: make([]byte, 0, len(in))}
	c.ws()
	if err := c.value(0); err != nil {
		return nil, err
	}
	c.ws()
	if c.i != len(c.in) {
		return nil, fmt.Errorf("unexpected data after the JSON value at byte %d", c.i)
	}
	return c.out, nil
}

type canon struct {
	in  []byte
	i   int
	out []byte
}

func (c *canon) ws() {
	for c.i < len(c.in) {
		switch c.in[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *canon) errf(format string, a ...any) error {
	return fmt.Errorf("byte %d: "+format, append([]any{c.i}, a...)...)
}

func (c *canon) value(depth int) error {
	if depth > maxDepth {
		return errDepth
	}
	if c.i >= len(c.in) {
		return c.errf("unexpected end of JSON")
	}
	switch b := c.in[c.i]; {
	case b == '{':
		return c.object(depth)
	case b == '[':
		return c.array(depth)
	case b == '"':
		s, err := c.str()
		if err != nil {
			return err
		}
		c.out = appendJCSString(c.out, s)
		return nil
	case b == '-' || (b >= '0' && b <= '9'):
		return c.number()
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(c.in[c.i:], []byte(lit)) {
				c.out = append(c.out, lit...)
				c.i += len(lit)
				return nil
			}
		}
		return c.errf("invalid character %q", b)
	}
}

// member is one `"key":value` run already written to the output.
type member struct {
	key        []byte   // unescaped key
	keyU       []uint16 // set only for keys outside the BMP fast path
	start, end int
}

func (c *canon) object(depth int) error {
	c.i++ // {
	base := len(c.out)
	c.out = append(c.out, '{')
	var small [32]member
	ms := small[:0]
	c.ws()
	if c.i < len(c.in) && c.in[c.i] == '}' {
		c.i++
		c.out = append(c.out, '}')
		return nil
	}
	for {
		c.ws()
		if c.i >= len(c.in) || c.in[c.i] != '"' {
			return c.errf("expected an object key")
		}
		k, err := c.str()
		if err != nil {
			return err
		}
		c.ws()
		if c.i >= len(c.in) || c.in[c.i] != ':' {
			return c.errf("expected ':' after an object key")
		}
		c.i++
		c.ws()
		if len(ms) > 0 {
			c.out = append(c.out, ',')
		}
		m := member{key: k, start: len(c.out)}
		c.out = appendJCSString(c.out, k)
		c.out = append(c.out, ':')
		if err := c.value(depth + 1); err != nil {
			return err
		}
		m.end = len(c.out)
		if needsUTF16Order(k) {
			m.keyU = utf16.Encode([]rune(string(k)))
		}
		ms = append(ms, m)
		c.ws()
		if c.i >= len(c.in) {
			return c.errf("unexpected end of JSON in an object")
		}
		if c.in[c.i] == ',' {
			c.i++
			continue
		}
		if c.in[c.i] == '}' {
			c.i++
			break
		}
		return c.errf("expected ',' or '}' in an object")
	}
	c.out = append(c.out, '}')
	if slices.IsSortedFunc(ms, compareMembers) {
		for i := 1; i < len(ms); i++ {
			if bytes.Equal(ms[i-1].key, ms[i].key) {
				return fmt.Errorf("duplicate object key %q", ms[i].key)
			}
		}
		return nil
	}
	// JCS orders members by the UTF-16 code units of their keys. The sorted
	// object has the same length, so it is rewritten in place.
	slices.SortFunc(ms, compareMembers)
	sorted := make([]byte, 0, len(c.out)-base)
	sorted = append(sorted, '{')
	for i, m := range ms {
		if i > 0 {
			if bytes.Equal(ms[i-1].key, m.key) {
				return fmt.Errorf("duplicate object key %q", m.key)
			}
			sorted = append(sorted, ',')
		}
		sorted = append(sorted, c.out[m.start:m.end]...)
	}
	sorted = append(sorted, '}')
	copy(c.out[base:], sorted)
	return nil
}

func compareMembers(a, b member) int {
	if a.keyU == nil && b.keyU == nil {
		return bytes.Compare(a.key, b.key)
	}
	au, bu := a.keyU, b.keyU
	if au == nil {
		au = utf16.Encode([]rune(string(a.key)))
	}
	if bu == nil {
		bu = utf16.Encode([]rune(string(b.key)))
	}
	return slices.Compare(au, bu)
}

// needsUTF16Order reports whether byte order could differ from UTF-16 order:
// only for characters outside the Basic Multilingual Plane.
func needsUTF16Order(s []byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0xF0 {
			return true
		}
	}
	return false
}

func (c *canon) array(depth int) error {
	c.i++ // [
	c.out = append(c.out, '[')
	c.ws()
	if c.i < len(c.in) && c.in[c.i] == ']' {
		c.i++
		c.out = append(c.out, ']')
		return nil
	}
	for n := 0; ; n++ {
		if n > 0 {
			c.out = append(c.out, ',')
		}
		c.ws()
		if err := c.value(depth + 1); err != nil {
			return err
		}
		c.ws()
		if c.i >= len(c.in) {
			return c.errf("unexpected end of JSON in an array")
		}
		if c.in[c.i] == ',' {
			c.i++
			continue
		}
		if c.in[c.i] == ']' {
			c.i++
			c.out = append(c.out, ']')
			return nil
		}
		return c.errf("expected ',' or ']' in an array")
	}
}

// str reads a JSON string and returns its unescaped value. For strings
// without escapes it is a slice of the input, with no copy.
func (c *canon) str() ([]byte, error) {
	start := c.i
	c.i++ // opening quote
	simple := true
	for c.i < len(c.in) {
		b := c.in[c.i]
		switch {
		case b == '"':
			raw := c.in[start+1 : c.i]
			c.i++
			if simple {
				if !utf8.Valid(raw) {
					return nil, fmt.Errorf("byte %d: string is not valid UTF-8", start)
				}
				return raw, nil
			}
			var s string
			if err := json.Unmarshal(c.in[start:c.i], &s); err != nil {
				return nil, fmt.Errorf("byte %d: invalid string: %w", start, err)
			}
			if !utf8.Valid(raw) {
				return nil, fmt.Errorf("byte %d: string is not valid UTF-8", start)
			}
			return []byte(s), nil
		case b == '\\':
			simple = false
			c.i += 2
		case b < 0x20:
			return nil, c.errf("control character in a string")
		default:
			c.i++
		}
	}
	return nil, fmt.Errorf("byte %d: unterminated string", start)
}

// appendJCSString writes s with the minimal escaping JCS prescribes.
func appendJCSString[T string | []byte](out []byte, s T) []byte {
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 0x20 && b != '"' && b != '\\' {
			continue
		}
		out = append(out, s[start:i]...)
		switch b {
		case '"':
			out = append(out, '\\', '"')
		case '\\':
			out = append(out, '\\', '\\')
		case '\b':
			out = append(out, '\\', 'b')
		case '\f':
			out = append(out, '\\', 'f')
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\t':
			out = append(out, '\\', 't')
		default:
			out = append(out, '\\', 'u', '0', '0', "0123456789abcdef"[b>>4], "0123456789abcdef"[b&0xF])
		}
		start = i + 1
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}

func (c *canon) number() error {
	start := c.i
	if c.in[c.i] == '-' {
		c.i++
	}
	digits := func() int {
		n := 0
		for c.i < len(c.in) && c.in[c.i] >= '0' && c.in[c.i] <= '9' {
			c.i++
			n++
		}
		return n
	}
	intStart := c.i
	if digits() == 0 {
		return c.errf("invalid number")
	}
	if c.in[intStart] == '0' && c.i-intStart > 1 {
		return c.errf("number with a leading zero")
	}
	plainInt := true
	if c.i < len(c.in) && c.in[c.i] == '.' {
		plainInt = false
		c.i++
		if digits() == 0 {
			return c.errf("invalid number")
		}
	}
	if c.i < len(c.in) && (c.in[c.i] == 'e' || c.in[c.i] == 'E') {
		plainInt = false
		c.i++
		if c.i < len(c.in) && (c.in[c.i] == '+' || c.in[c.i] == '-') {
			c.i++
		}
		if digits() == 0 {
			return c.errf("invalid number")
		}
	}
	lit := c.in[start:c.i]
	// Integers that a double holds exactly are already in ES6 form.
	if plainInt && len(lit) <= 15 && !bytes.Equal(lit, []byte("-0")) {
		c.out = append(c.out, lit...)
		return nil
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil || math.IsInf(f, 0) {
		return fmt.Errorf("byte %d: number %s is out of range", start, lit)
	}
	c.out = appendES6Number(c.out, f)
	return nil
}

// appendES6Number formats f as ECMAScript's Number.prototype.toString does,
// which is what JCS requires.
func appendES6Number(out []byte, f float64) []byte {
	if f == 0 {
		return append(out, '0')
	}
	abs := math.Abs(f)
	if abs < 1e21 && abs >= 1e-6 {
		return strconv.AppendFloat(out, f, 'f', -1, 64)
	}
	b := strconv.AppendFloat(nil, f, 'e', -1, 64)
	// Go writes e-07 and e+21; ES6 writes e-7 and e+21.
	if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-2] == '0' {
		b = append(b[:n-2], b[n-1])
	}
	return append(out, b...)
}

// envelopeSize is the length of the canonical event with a body of n
// bytes when no string needs escaping, so that its buffer is sized once.
func (e *Event) envelopeSize(n int) int {
	// The punctuation and member names of the envelope, and a time.
	size := 110 + n + len(e.Actor.ID) + len(e.Actor.Kind) + len(e.Tenant) + len(e.Type)
	for _, s := range e.Subjects {
		size += 20 + len(s.ID) + len(s.Kind)
	}
	return size
}

// appendEnvelope writes the canonical event: the fixed envelope fields in
// JCS key order around an already-canonical body.
func (e *Event) appendEnvelope(out, body []byte) []byte {
	out = append(out, `{"actor":{"id":`...)
	out = appendJCSString(out, e.Actor.ID)
	out = append(out, `,"kind":`...)
	out = appendJCSString(out, string(e.Actor.Kind))
	out = append(out, '}')
	if len(body) > 0 {
		out = append(out, `,"body":`...)
		out = append(out, body...)
	}
	if len(e.Subjects) > 0 {
		out = append(out, `,"subjects":[`...)
		for i, s := range e.Subjects {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"id":`...)
			out = appendJCSString(out, s.ID)
			out = append(out, `,"kind":`...)
			out = appendJCSString(out, s.Kind)
			out = append(out, '}')
		}
		out = append(out, ']')
	}
	out = append(out, `,"tenant":`...)
	out = appendJCSString(out, e.Tenant)
	out = append(out, `,"time":`...)
	out = appendJCSString(out, e.Time.Format(time.RFC3339Nano))
	out = append(out, `,"type":`...)
	out = appendJCSString(out, e.Type)
	return append(out, '}')
}
