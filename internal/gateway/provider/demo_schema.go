package provider

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
)

// demoInstance builds a small JSON value that satisfies schema, with the
// echoed text in the first free-form string, so that the demo model can
// answer a structured output request in a shape the output guard accepts.
// It understands the JSON Schema that structured outputs use (types,
// properties, required, items, enum, const, anyOf/oneOf/allOf, local
// $refs, minimums and lengths) and reports false for anything else, when
// the demo falls back to its fixed JSON answer.
func demoInstance(schema json.RawMessage, echo string) ([]byte, bool) {
	var root any
	if err := json.Unmarshal(schema, &root); err != nil {
		return nil, false
	}
	g := &instanceGen{root: root, echo: echo}
	v, ok := g.value(root, 0)
	if !ok {
		return nil, false
	}
	b, err := json.Marshal(v)
	return b, err == nil
}

// Bounds on the work one schema may cause: nesting, including recursion
// through $refs, and schema nodes visited, since a client's schema of a few
// bytes could otherwise expand exponentially.
const (
	maxInstanceDepth = 16
	maxInstanceNodes = 10000
)

type instanceGen struct {
	root     any
	echo     string
	echoUsed bool
	nodes    int
}

func (g *instanceGen) value(s any, depth int) (any, bool) {
	g.nodes++
	if depth > maxInstanceDepth || g.nodes > maxInstanceNodes {
		return nil, false
	}
	switch s := s.(type) {
	case bool:
		return map[string]any{}, s // true accepts anything; false nothing
	case map[string]any:
		return g.object(s, depth)
	}
	return nil, false
}

func (g *instanceGen) object(s map[string]any, depth int) (any, bool) {
	if ref, ok := s["$ref"].(string); ok {
		target, ok := g.resolve(ref)
		if !ok {
			return nil, false
		}
		return g.value(target, depth+1)
	}
	if c, ok := s["const"]; ok {
		return c, true
	}
	if e, ok := s["enum"].([]any); ok {
		if len(e) == 0 {
			return nil, false
		}
		return e[0], true
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		if alts, ok := s[k].([]any); ok {
			for _, a := range alts {
				if v, ok := g.value(a, depth+1); ok {
					return v, true
				}
			}
			return nil, false
		}
	}
	if all, ok := s["allOf"].([]any); ok && len(all) == 1 {
		return g.value(all[0], depth+1)
	}
	typ := s["type"]
	if ts, ok := typ.([]any); ok {
		// A list of types, as nullable fields are written: the first
		// that is not null.
		typ = "null"
		for _, t := range ts {
			if t != "null" {
				typ = t
				break
			}
		}
	}
	switch typ {
	case "object":
		return g.properties(s, depth)
	case "array":
		return g.array(s, depth)
	case "string":
		return g.str(s)
	case "integer", "number":
		n := 0.0
		if m, ok := s["minimum"].(float64); ok && m > n {
			n = m
		}
		if m, ok := s["exclusiveMinimum"].(float64); ok && m >= n {
			n = m + 1
		}
		if typ == "integer" {
			return int64(n), true
		}
		return n, true
	case "boolean":
		return true, true
	case "null":
		return nil, true
	case nil:
		if _, ok := s["properties"]; ok {
			return g.properties(s, depth)
		}
		return nil, false
	}
	return nil, false
}

func (g *instanceGen) properties(s map[string]any, depth int) (any, bool) {
	out := map[string]any{}
	props, _ := s["properties"].(map[string]any)
	// Every property is filled, not just the required ones: strict
	// schemas require them all, and optional ones are valid too.
	for _, name := range sortedKeys(props) {
		v, ok := g.value(props[name], depth+1)
		if !ok {
			return nil, false
		}
		out[name] = v
	}
	if req, ok := s["required"].([]any); ok {
		for _, r := range req {
			if name, ok := r.(string); !ok || !hasKey(out, name) {
				return nil, false // required but not described
			}
		}
	}
	return out, true
}

func (g *instanceGen) array(s map[string]any, depth int) (any, bool) {
	n := 1
	if m, ok := s["minItems"].(float64); ok {
		n = int(min(m, 8))
	}
	if m, ok := s["maxItems"].(float64); ok && float64(n) > m {
		n = int(m)
	}
	out := make([]any, 0, n)
	items, ok := s["items"]
	if !ok {
		return out, n == 0
	}
	for range n {
		v, ok := g.value(items, depth+1)
		if !ok {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

func (g *instanceGen) str(s map[string]any) (string, bool) {
	var v string
	switch s["format"] {
	case "date-time":
		v = "2026-01-01T00:00:00Z"
	case "date":
		v = "2026-01-01"
	case "email":
		v = "demo@example.com"
	case "uri":
		v = "https://example.com/"
	case "uuid":
		v = "00000000-0000-4000-8000-000000000000"
	default:
		if pat, ok := s["pattern"].(string); ok {
			// Only what the pattern already accepts: the demo does not
			// invent strings to match a regular expression.
			re, err := regexp.Compile(pat)
			if err != nil {
				return "", false
			}
			for _, c := range []string{g.echo, "", "demo"} {
				if re.MatchString(c) {
					return c, true
				}
			}
			return "", false
		}
		if !g.echoUsed {
			v, g.echoUsed = g.echo, true
		}
	}
	if m, ok := s["maxLength"].(float64); ok && len([]rune(v)) > int(m) {
		v = string([]rune(v)[:int(m)])
	}
	if m, ok := s["minLength"].(float64); ok && len([]rune(v)) < int(m) {
		v += strings.Repeat("x", int(m)-len([]rune(v)))
	}
	return v, true
}

// resolve follows a local reference such as "#/$defs/item".
func (g *instanceGen) resolve(ref string) (any, bool) {
	path, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, false
	}
	cur := g.root
	for _, p := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		if p == "" {
			continue
		}
		p = strings.NewReplacer("~1", "/", "~0", "~").Replace(p)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func hasKey(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}
