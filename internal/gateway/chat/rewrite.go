package chat

import (
	"bytes"
)

// RewriteModel returns the JSON object body with its top-level "model"
// replaced by model, the member named drop (if any) removed and the raw
// member add (if any) appended. It is how a request is forwarded to a
// provider of its own protocol without decoding and re-encoding it. body
// must be valid JSON (it has been decoded already); RewriteModel reports
// false when it finds no plain "model" key, and the caller re-encodes.
func RewriteModel(body []byte, model, drop, add string) ([]byte, bool) {
	body = bytes.TrimSpace(body)
	if len(body) < 2 || body[0] != '{' {
		return nil, false
	}
	out := make([]byte, 0, len(body)+len(model)+len(add)+16)
	out = append(out, '{')
	found, first := false, true
	i := 1
	for {
		i = skipSpace(body, i)
		if i >= len(body) || body[i] == '}' {
			break
		}
		if body[i] == ',' {
			i++
			continue
		}
		ks := i
		ke := skipString(body, i)
		key := body[ks:ke]
		i = skipSpace(body, ke)
		if i >= len(body) || body[i] != ':' {
			return nil, false
		}
		vs := skipSpace(body, i+1)
		ve := skipValue(body, vs)
		if ve < 0 {
			return nil, false
		}
		i = ve
		if string(key) == `"model"` {
			found = true
			continue
		}
		if drop != "" && len(key) == len(drop)+2 && string(key[1:len(key)-1]) == drop {
			continue
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		out = append(out, key...)
		out = append(out, ':')
		out = append(out, body[vs:ve]...)
	}
	if !found {
		return nil, false
	}
	if !first {
		out = append(out, ',')
	}
	out = append(out, `"model":`...)
	out = AppendString(out, model)
	if add != "" {
		out = append(out, ',')
		out = append(out, add...)
	}
	return append(out, '}'), true
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
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t' {
		i++
	}
	return i
}
