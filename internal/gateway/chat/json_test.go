package chat

import (
	"encoding/json"
	"reflect"
	"testing"
)

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "<html>&", "\x00\x1f\t\n\r", "\u2028\u2029", "\xff\xfe bad utf8", "日本語"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q encodes to invalid JSON %s", s, b)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Fatalf("%q decodes to %q, encoding/json gives %q", s, back, wantBack)
		}
	})
}

func TestResponseEventsSplit(t *testing.T) {
	r := &Response{Parts: []Part{{Type: PartText, Text: "héllo wörld, ünïcode"}}}
	var a Accumulator
	for _, e := range ResponseEvents(r, 3) {
		if e.Type == EventText && len(e.Text) == 0 {
			t.Error("empty text event")
		}
		a.Add(e)
	}
	if a.Response().Text() != r.Text() {
		t.Errorf("split and joined: %q", a.Response().Text())
	}
}

func FuzzUnescapeHTML(f *testing.F) {
	for _, s := range []string{`{"q":"\u003cEMAIL_T1\u003e"}`, `{"q":"a \\u003c b"}`, `"\u0026\u003E"`, `\u003c outside`, `{"a":"\"\u003c"}`, `{"a":"\u00e9"}`, `{"a":"\u003`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := UnescapeHTML(s)
		var a, b any
		errA, errB := json.Unmarshal([]byte(s), &a), json.Unmarshal([]byte(out), &b)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("validity changed: %q (%v) -> %q (%v)", s, errA, out, errB)
		}
		if errA == nil && !reflect.DeepEqual(a, b) {
			t.Fatalf("value changed: %q -> %q", s, out)
		}
	})
}

func TestUnescapeHTML(t *testing.T) {
	for in, want := range map[string]string{
		`{"q":"\u003cEMAIL_T1\u003e \u0026 co"}`: `{"q":"<EMAIL_T1> & co"}`,
		`{"q":"a \\u003c b"}`:                    `{"q":"a \\u003c b"}`,
		`{"q":"\u00e9"}`:                         `{"q":"\u00e9"}`,
		`plain`:                                  `plain`,
	} {
		if got := UnescapeHTML(in); got != want {
			t.Errorf("UnescapeHTML(%s) = %s, want %s", in, got, want)
		}
	}
}
