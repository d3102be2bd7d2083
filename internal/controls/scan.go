package controls

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Inference entries dominate the ledger, so the engine reads them with a
// small scanner that picks out the few fields the checks need instead of
// decoding the whole event. Anything it does not expect (escapes in a kept
// string, an odd value type) makes it give up, and the caller falls back to
// encoding/json; the fuzz test holds the two to the same answers.

// delim marks the bytes that end a literal.
var delim = [256]bool{',': true, '}': true, ']': true, ' ': true, '\n': true, '\t': true, '\r': true}

type scanner struct {
	b      []byte
	i      int
	intern map[string]string
}

// maxInterned bounds the strings a scan shares between entries: tenants,
// keys, providers and retention modes repeat, request ids do not.
const maxInterned = 1 << 14

// text returns raw as a string, sharing one copy per distinct value.
func (s *scanner) text(raw []byte) string {
	if s.intern == nil {
		return string(raw)
	}
	if v, ok := s.intern[string(raw)]; ok {
		return v
	}
	v := string(raw)
	if len(s.intern) < maxInterned {
		s.intern[v] = v
	}
	return v
}

func (s *scanner) ws() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\n' || s.b[s.i] == '\t' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *scanner) eat(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string and returns its raw bytes; escaped reports whether it
// holds backslash escapes (so the raw bytes are not its value). It does
// not validate skipped strings: the ledger stores only valid JSON.
func (s *scanner) str() (raw []byte, escaped, ok bool) {
	if !s.eat('"') {
		return nil, false, false
	}
	start := s.i
	for {
		j := bytes.IndexByte(s.b[s.i:], '"')
		if j < 0 {
			return nil, false, false
		}
		if k := bytes.IndexByte(s.b[s.i:s.i+j], '\\'); k >= 0 {
			escaped = true
			s.i += k + 2
			if s.i > len(s.b) {
				return nil, false, false
			}
			continue
		}
		s.i += j
		raw = s.b[start:s.i]
		s.i++
		return raw, escaped, true
	}
}

// plain reads a string that must have no escapes and be valid UTF-8, so
// its raw bytes are its value.
func (s *scanner) plain() (string, bool) {
	raw, esc, ok := s.str()
	if !ok || esc || !utf8.Valid(raw) {
		return "", false
	}
	for _, c := range raw {
		if c < 0x20 {
			return "", false
		}
	}
	return s.text(raw), true
}

// known reports whether key matches one of names ignoring case but not
// exactly: encoding/json would fill the field, the scanner would not, so
// the scanner must give up.
func known(key []byte, names ...string) bool {
	plain := true
	for _, c := range key {
		plain = plain && c < 0x80 && (c < 'A' || c > 'Z')
	}
	if plain {
		return false // only exact matches count, and those were handled
	}
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}

// skip passes over one value of any type.
func (s *scanner) skip() bool {
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; c {
	case '"':
		_, _, ok := s.str()
		return ok
	case '{', '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		s.i++
		if s.eat(end) {
			return true
		}
		for {
			if c == '{' {
				if _, _, ok := s.str(); !ok || !s.eat(':') {
					return false
				}
			}
			if !s.skip() {
				return false
			}
			if s.eat(end) {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	default:
		v, ok := s.literal()
		switch string(v) {
		case "true", "false", "null":
			return true
		}
		return ok && json.Valid(v)
	}
}

// object calls field for each key of an object; field consumes the value.
func (s *scanner) object(field func(key []byte) bool) bool {
	if !s.eat('{') {
		return false
	}
	if s.eat('}') {
		return true
	}
	for {
		key, esc, ok := s.str()
		if !ok || esc || !s.eat(':') || !field(key) {
			return false
		}
		if s.eat('}') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// literal reads true, false, or an integer.
func (s *scanner) literal() ([]byte, bool) {
	s.ws()
	start := s.i
	for s.i < len(s.b) && !delim[s.b[s.i]] {
		s.i++
	}
	return s.b[start:s.i], s.i > start
}

// scanInference fills x from an inference entry's encoding and returns
// its type. ok is false when the scanner cannot be sure, and the caller
// must decode with encoding/json instead.
func scanInference(data []byte, x *inferenceEntry) (typ string, ok bool) {
	return (&scanner{}).inference(data, x)
}

// inference is scanInference with the scanner's interned strings.
func (s *scanner) inference(data []byte, x *inferenceEntry) (typ string, ok bool) {
	s.b, s.i = data, 0
	*x = inferenceEntry{}
	ok = s.object(func(key []byte) bool {
		switch string(key) {
		case "tenant":
			v, ok := s.plain()
			x.Tenant = v
			return ok
		case "type":
			v, ok := s.plain()
			x.Type = v
			return ok
		case "time":
			s.ws()
			start := s.i
			if _, _, ok := s.str(); !ok {
				return false
			}
			return x.Time.UnmarshalJSON(s.b[start:s.i]) == nil
		case "body":
			return s.body(&x.Body)
		default:
			return !known(key, "tenant", "type", "time", "body") && s.skip()
		}
	})
	s.ws()
	if !ok || s.i != len(s.b) {
		return "", false
	}
	return x.Type, true
}

func (s *scanner) body(b *inferenceBody) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == 'n' {
		v, ok := s.literal()
		return ok && string(v) == "null"
	}
	return s.object(func(key []byte) bool {
		var dst *string
		switch string(key) {
		case "key_id":
			dst = &b.KeyID
		case "retention":
			dst = &b.Retention
		case "payload_ref":
			dst = &b.PayloadRef
		case "provider":
			dst = &b.Provider
		case "error":
			dst = &b.Error
		case "status":
			v, ok := s.literal()
			if !ok {
				return false
			}
			n, err := strconv.Atoi(string(v))
			b.Status = n
			return err == nil
		case "fail_open":
			v, ok := s.literal()
			switch string(v) {
			case "true":
				b.FailOpen = true
			case "false":
				b.FailOpen = false
			default:
				return false
			}
			return ok
		default:
			return !known(key, "key_id", "retention", "payload_ref", "provider", "error", "status", "fail_open") && s.skip()
		}
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == 'n' {
			v, ok := s.literal()
			return ok && string(v) == "null"
		}
		v, ok := s.plain()
		*dst = v
		return ok
	})
}
