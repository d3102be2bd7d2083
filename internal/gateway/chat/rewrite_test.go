package chat

import (
	"encoding/json"
	"testing"
)

func TestRewriteModel(t *testing.T) {
	for _, tc := range []struct {
		in, drop, add, want string
		ok                  bool
	}{
		{`{"model":"a","x":1}`, "", "", `{"x":1,"model":"m"}`, true},
		{` { "x" : [1,{"model":"inner"}] , "model" : "a" , "y":"s,}" } `, "", "", `{"x":[1,{"model":"inner"}],"y":"s,}","model":"m"}`, true},
		{`{"model":"a","stream_options":{"include_usage":false},"stream":true}`, "stream_options", `"stream_options":{"include_usage":true}`,
			`{"stream":true,"model":"m","stream_options":{"include_usage":true}}`, true},
		{`{"model":"a","model":"b"}`, "", "", `{"model":"m"}`, true},
		{`{"mod\u0065l":"a"}`, "", "", "", false},
		{`{"x":"esc\"aped","model":null}`, "", "", `{"x":"esc\"aped","model":"m"}`, true},
		{`[]`, "", "", "", false},
	} {
		got, ok := RewriteModel([]byte(tc.in), "m", tc.drop, tc.add)
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("RewriteModel(%s) = %s %v, want %s %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzRewriteModel(f *testing.F) {
	f.Add([]byte(`{"model":"a","messages":[{"role":"user","content":"x"}],"stream_options":{}}`))
	f.Add([]byte(`{"a":{"b":[1,2,{"c":"}"}]},"model":"z"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var in map[string]json.RawMessage
		if json.Unmarshal(b, &in) != nil {
			return // only decoded bodies are ever rewritten
		}
		out, ok := RewriteModel(b, "m", "stream_options", `"stream_options":{"include_usage":true}`)
		if !ok {
			return
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("rewrite of %s is not JSON: %s", b, out)
		}
		if string(got["model"]) != `"m"` || string(got["stream_options"]) != `{"include_usage":true}` {
			t.Fatalf("rewrite of %s: %s", b, out)
		}
		for k := range in {
			if _, kept := got[k]; !kept && k != "model" {
				t.Fatalf("member %q lost in %s", k, out)
			}
		}
	})
}
