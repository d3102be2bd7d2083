package chat

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Rewrite is one text of a request that a guard replaced: what the body
// said and what the provider gets instead.
type Rewrite struct {
	Old, New string
}

// textKeys are the members whose string values hold the texts of the
// neutral form: message and block content, text blocks, refusals, tool
// call arguments (OpenAI) and the system prompt (Anthropic).
var textKeys = map[string]bool{"content": true, "text": true, "refusal": true, "arguments": true, "system": true}

// jsonTextKey holds a JSON value that the neutral form keeps as JSON text:
// the input of an Anthropic tool_use block.
const jsonTextKey = "input"

// TextEditor puts a guard's rewrites back into the body as received, so
// that everything the neutral form does not model inside a message (an
// OpenAI message name, Anthropic cache_control, unknown block fields)
// still reaches a provider of the client's own protocol. It replaces
// every text value equal to a rewrite's Old, wherever it appears; callers
// use it only when each text of the neutral form is exactly one string of
// the body (Request.Joined false), and then Complete tells whether every
// rewritten text was found.
type TextEditor struct {
	rw  map[string]string
	hit map[string]bool
}

// NewTextEditor returns an editor for rws.
func NewTextEditor(rws []Rewrite) *TextEditor {
	e := &TextEditor{rw: make(map[string]string, len(rws)), hit: make(map[string]bool, len(rws))}
	for _, r := range rws {
		e.rw[r.Old] = r.New
	}
	return e
}

// Edit returns the JSON value v, found under member key, with the
// rewrites applied, or false if v is not well-formed.
func (e *TextEditor) Edit(key string, v []byte) ([]byte, bool) {
	v = bytes.TrimSpace(v)
	out, ok := e.value(make([]byte, 0, len(v)+64), key, v)
	return out, ok
}

// Complete reports whether every rewrite replaced at least one value.
func (e *TextEditor) Complete() bool { return len(e.hit) == len(e.rw) }

func (e *TextEditor) value(out []byte, key string, v []byte) ([]byte, bool) {
	if len(v) == 0 {
		return out, false
	}
	switch v[0] {
	case '"':
		if textKeys[key] {
			s, ok := unquote(v)
			if !ok {
				return out, false
			}
			if nv, found := e.rw[s]; found {
				e.hit[s] = true
				return AppendString(out, nv), true
			}
		}
		return append(out, v...), true
	case '{', '[':
		if key == jsonTextKey {
			if nv, found := e.rw[string(v)]; found && json.Valid([]byte(nv)) {
				e.hit[string(v)] = true
				return append(out, nv...), true
			}
		}
		return e.composite(out, key, v)
	}
	return append(out, v...), true
}

// composite copies an object or array, editing the values inside it. The
// elements of an array count as found under the array's own key.
func (e *TextEditor) composite(out []byte, key string, v []byte) ([]byte, bool) {
	obj := v[0] == '{'
	end := byte(']')
	if obj {
		end = '}'
	}
	out = append(out, v[0])
	i := 1
	first := true
	for {
		i = skipSpace(v, i)
		if i >= len(v) {
			return out, false
		}
		if v[i] == end {
			return append(out, end), i+1 == len(v)
		}
		if !first {
			if v[i] != ',' {
				return out, false
			}
			out = append(out, ',')
			i = skipSpace(v, i+1)
		}
		first = false
		if obj {
			if i >= len(v) || v[i] != '"' {
				return out, false
			}
			ke := skipString(v, i)
			k, ok := unquote(v[i:ke])
			if !ok {
				return out, false
			}
			key = k
			out = append(out, v[i:ke]...)
			i = skipSpace(v, ke)
			if i >= len(v) || v[i] != ':' {
				return out, false
			}
			out = append(out, ':')
			i = skipSpace(v, i+1)
		}
		ve := skipValue(v, i)
		if ve < 0 || ve > len(v) {
			return out, false
		}
		var ok bool
		if out, ok = e.value(out, key, v[i:ve]); !ok {
			return out, false
		}
		i = ve
	}
}

// unquote decodes a JSON string literal.
func unquote(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1]), true
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

// MemberValue returns the value of the body's one top-level member named
// name (ignoring case, as Go's decoder matches), or false if there is no
// such member or more than one.
func MemberValue(body []byte, name string) ([]byte, bool) {
	var found []byte
	n := 0
	ok := eachMember(bytes.TrimSpace(body), func(key, value []byte) bool {
		k, ok := unquote(key)
		if ok && strings.EqualFold(k, name) {
			found = value
			n++
		}
		return ok
	})
	return found, ok && n == 1
}

// EditInPlace starts putting r's rewrites back into its body as received:
// it returns the edited messages and the editor, to go on with the system
// prompt, or false when they cannot be put back in place.
func EditInPlace(r *Request) ([]byte, *TextEditor, bool) {
	if r.Joined {
		return nil, nil, false
	}
	raw, ok := MemberValue(r.Raw, "messages")
	if !ok {
		return nil, nil, false
	}
	ed := NewTextEditor(r.Rewrites)
	msgs, ok := ed.Edit("messages", raw)
	return msgs, ed, ok
}
