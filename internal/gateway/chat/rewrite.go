package chat

import (
	"bytes"
)

// Member is one top-level member of a JSON object: its name and its value
// as JSON text. A nil Value removes the member.
type Member struct {
	Name  string
	Value []byte
}

// RewriteModel returns the JSON object body with its top-level "model"
// replaced by model and each of set put in place of the body's member of
// that name, every other byte of the members kept as they were. It is how
// a request is forwarded to a provider of its own protocol without
// decoding and re-encoding it. A member of set takes the place of the
// first member it replaces; one the body lacks is appended, and the model
// goes last. Names match as Go's decoder matches them (ignoring case), and
// later duplicates are dropped, so no copy of a replaced member (say
// unredacted messages) slips through beside the new one.
//
// body must be valid JSON (it has been decoded already). RewriteModel
// reports false, and the caller re-encodes, when it finds no plain "model"
// key, when a key holds an escape it would have to decode to compare, or
// when set has more than 64 members.
func RewriteModel(body []byte, model string, set ...Member) ([]byte, bool) {
	body = bytes.TrimSpace(body)
	if len(body) < 2 || body[0] != '{' || len(set) > 64 {
		return nil, false
	}
	n := len(body) + len(model) + 16
	for _, m := range set {
		n += len(m.Name) + len(m.Value) + 4
	}
	out := make([]byte, 0, n)
	out = append(out, '{')
	found, first := false, true
	var done uint64 // bit i: set[i] written or dropped
	ok := eachMember(body, func(key, value []byte) bool {
		if bytes.IndexByte(key, '\\') >= 0 {
			return false
		}
		name := key[1 : len(key)-1]
		if bytes.EqualFold(name, []byte("model")) {
			found = true
			return true
		}
		m := match(set, name)
		if m >= 0 {
			seen := done&(1<<m) != 0
			done |= 1 << m
			if seen || set[m].Value == nil {
				return true
			}
			value = set[m].Value
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		if m >= 0 {
			out = AppendString(out, set[m].Name)
		} else {
			out = append(out, key...)
		}
		out = append(out, ':')
		out = append(out, value...)
		return true
	})
	if !ok {
		return nil, false
	}
	if !found {
		return nil, false
	}
	for s, m := range set {
		if done&(1<<s) != 0 || m.Value == nil {
			continue
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		out = AppendString(out, m.Name)
		out = append(out, ':')
		out = append(out, m.Value...)
	}
	if !first {
		out = append(out, ',')
	}
	out = append(out, `"model":`...)
	out = AppendString(out, model)
	return append(out, '}'), true
}

// eachMember calls fn with the key (quotes included, as written) and the
// value of each top-level member of the JSON object body, until fn returns
// false. It reports false if fn did or the body is malformed.
func eachMember(body []byte, fn func(key, value []byte) bool) bool {
	if len(body) < 2 || body[0] != '{' {
		return false
	}
	i := 1
	for {
		i = skipSpace(body, i)
		if i >= len(body) || body[i] == '}' {
			return true
		}
		if body[i] == ',' {
			i++
			continue
		}
		ke := skipString(body, i)
		key := body[i:ke]
		if len(key) < 2 || key[0] != '"' {
			return false
		}
		i = skipSpace(body, ke)
		if i >= len(body) || body[i] != ':' {
			return false
		}
		vs := skipSpace(body, i+1)
		ve := skipValue(body, vs)
		if ve < 0 || !fn(key, body[vs:ve]) {
			return false
		}
		i = ve
	}
}

// match returns the index of the member of set named name, or -1.
func match(set []Member, name []byte) int {
	for s, m := range set {
		if bytes.EqualFold(name, []byte(m.Name)) {
			return s
		}
	}
	return -1
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i].
func skipString(b []byte, i int) int {
	i++
	for i < len(b) {
		switch b[i] {
		case '\\':
			i += 2
			continue
		case '"':
			return i + 1
		}
		i++
	}
	return len(b)
}

// skipValue returns the index after the value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t' {
		i++
	}
	return i
}
