package chat

import (
	"encoding/json"
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
