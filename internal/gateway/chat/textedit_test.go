package chat

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestTextEditor(t *testing.T) {
	rw := []Rewrite{{Old: "mail a@b.co", New: "mail <EMAIL_1>"}, {Old: `{"to":"a@b.co"}`, New: `{"to":"<EMAIL_1>"}`}}
	for _, c := range []struct {
		name, key, in, want string
		complete            bool
	}{
		{"string content", "messages", `[{"role":"user","name":"x","content":"mail a@b.co"}]`,
			`[{"role":"user","name":"x","content":"mail \u003cEMAIL_1\u003e"}]`, false},
		{"text block keeps its other fields", "messages", `[ {"content":[{"type":"text","text":"mail a@b.co","cache_control":{"type":"ephemeral"}}]} ]`,
			`[{"content":[{"type":"text","text":"mail \u003cEMAIL_1\u003e","cache_control":{"type":"ephemeral"}}]}]`, false},
		{"every occurrence", "messages", `[{"content":"mail a@b.co"},{"content":"mail a@b.co"}]`,
			`[{"content":"mail \u003cEMAIL_1\u003e"},{"content":"mail \u003cEMAIL_1\u003e"}]`, false},
		{"not under other keys", "messages", `[{"role":"mail a@b.co","name":"mail a@b.co","content":"x"}]`,
			`[{"role":"mail a@b.co","name":"mail a@b.co","content":"x"}]`, false},
		{"escaped original", "messages", `[{"content":"mail a@b\u002eco"}]`, `[{"content":"mail \u003cEMAIL_1\u003e"}]`, false},
		{"tool input object", "messages", `[{"content":[{"type":"tool_use","input":{"to":"a@b.co"}}]}]`,
			`[{"content":[{"type":"tool_use","input":{"to":"<EMAIL_1>"}}]}]`, false},
		{"both", "messages", `[{"content":"mail a@b.co"},{"content":[{"input":{"to":"a@b.co"}}]}]`,
			`[{"content":"mail \u003cEMAIL_1\u003e"},{"content":[{"input":{"to":"<EMAIL_1>"}}]}]`, true},
		{"numbers, literals, nesting", "messages", `[1,[2.5e3,true,null],{"a":[-1]},"s"]`, `[1,[2.5e3,true,null],{"a":[-1]},"s"]`, false},
		{"strings in an array under a text key", "messages", `[{"content":["mail a@b.co",{"text":"mail a@b.co"}]}]`,
			`[{"content":["mail \u003cEMAIL_1\u003e",{"text":"mail \u003cEMAIL_1\u003e"}]}]`, false},
		{"system string", "system", `"mail a@b.co"`, `"mail \u003cEMAIL_1\u003e"`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ed := NewTextEditor(rw)
			got, ok := ed.Edit(c.key, []byte(c.in))
			if !ok || string(got) != c.want {
				t.Fatalf("Edit(%s) = %s, %v; want %s", c.in, got, ok, c.want)
			}
			if ed.Complete() != c.complete {
				t.Fatalf("Complete() = %v", ed.Complete())
			}
		})
	}
	for _, bad := range []string{`[{"content":"x"`, `[1 2]`, `{"a" 1}`, `[{"content":"x"}]]`, `{"content":"\x"}`} {
		if out, ok := NewTextEditor(rw).Edit("messages", []byte(bad)); ok {
			t.Errorf("Edit(%s) accepted malformed JSON: %s", bad, out)
		}
	}
}

func TestMemberValue(t *testing.T) {
	for _, c := range []struct {
		body, want string
		ok         bool
	}{
		{`{"model":"m","messages":[1, 2]}`, `[1, 2]`, true},
		{` { "Messages" : "x" } `, `"x"`, true},
		{`{"messages":[1],"MESSAGES":[2]}`, "", false},
		{`{"model":"m"}`, "", false},
		{`[]`, "", false},
	} {
		got, ok := MemberValue([]byte(c.body), "messages")
		if ok != c.ok || ok && string(got) != c.want {
			t.Errorf("MemberValue(%s) = %s, %v", c.body, got, ok)
		}
	}
}

// FuzzTextEditor checks that editing well-formed JSON yields well-formed
// JSON, that without rewrites it changes nothing, and that a rewritten
// text is gone from every text member.
func FuzzTextEditor(f *testing.F) {
	for _, s := range []string{`[{"role":"user","content":"hi a@b.co"}]`, `[{"content":[{"type":"text","text":"a"},{"input":{"x":[1,2]}}]}]`, `"a"`, `[]`, `[[],{}]`} {
		f.Add(s, "hi a@b.co")
	}
	f.Fuzz(func(t *testing.T, in, old string) {
		if !json.Valid([]byte(in)) {
			return
		}
		same, ok := NewTextEditor(nil).Edit("messages", []byte(in))
		if !ok {
			t.Fatalf("rejected valid JSON %q", in)
		}
		a, errA := decodeNumbers(in)
		b, errB := decodeNumbers(string(same))
		if errA != nil || errB != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("no rewrites changed %q into %q", in, same)
		}
		ed := NewTextEditor([]Rewrite{{Old: old, New: "<X>"}})
		out, ok := ed.Edit("messages", []byte(in))
		if !ok || !json.Valid(out) {
			t.Fatalf("edit of %q gave %q, %v", in, out, ok)
		}
		var walk func(v any, key string)
		walk = func(v any, key string) {
			switch v := v.(type) {
			case string:
				if textKeys[key] && v == old {
					t.Fatalf("%q still holds %q under %s: %s", in, old, key, out)
				}
			case []any:
				for _, x := range v {
					walk(x, key)
				}
			case map[string]any:
				for k, x := range v {
					walk(x, k)
				}
			}
		}
		got, err := decodeNumbers(string(out))
		if err != nil {
			t.Fatalf("edit of %q gave %q: %v", in, out, err)
		}
		walk(got, "messages")
	})
}

// decodeNumbers decodes JSON keeping numbers as written, so that values
// too large for a float still compare.
func decodeNumbers(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}
