package chat

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRewriteModel(t *testing.T) {
	usage := Member{Name: "stream_options", Value: []byte(`{"include_usage":true}`)}
	msgs := Member{Name: "messages", Value: []byte(`["new"]`)}
	for _, tc := range []struct {
		name, in string
		set      []Member
		want     string
		ok       bool
	}{
		{"model only", `{"model":"a","x":1}`, nil, `{"x":1,"model":"m"}`, true},
		{"nested model and odd spacing", ` { "x" : [1,{"model":"inner"}] , "model" : "a" , "y":"s,}" } `, nil, `{"x":[1,{"model":"inner"}],"y":"s,}","model":"m"}`, true},
		{"replaced in place", `{"model":"a","stream_options":{"include_usage":false},"stream":true}`, []Member{usage},
			`{"stream_options":{"include_usage":true},"stream":true,"model":"m"}`, true},
		{"appended when absent", `{"model":"a","stream":true}`, []Member{usage}, `{"stream":true,"stream_options":{"include_usage":true},"model":"m"}`, true},
		{"several members, order kept", `{"system":"s","messages":["old"],"seed":7,"model":"a","top_k":3}`,
			[]Member{{Name: "system", Value: []byte(`"S"`)}, msgs}, `{"system":"S","messages":["new"],"seed":7,"top_k":3,"model":"m"}`, true},
		{"nil value drops", `{"system":[{"type":"text","text":"s"}],"model":"a"}`, []Member{{Name: "system"}}, `{"model":"m"}`, true},
		{"nil value absent", `{"model":"a"}`, []Member{{Name: "system"}}, `{"model":"m"}`, true},
		// Go's decoder takes the last duplicate and ignores case: no copy
		// of the replaced member may stay beside the new one.
		{"duplicates dropped", `{"messages":["a"],"model":"a","messages":["b"]}`, []Member{msgs}, `{"messages":["new"],"model":"m"}`, true},
		{"case variants dropped", `{"Messages":["a"],"model":"a","meſſages":["b"]}`, []Member{msgs}, `{"messages":["new"],"model":"m"}`, true},
		{"duplicate model", `{"model":"a","model":"b"}`, nil, `{"model":"m"}`, true},
		{"escaped key", `{"mod\u0065l":"a"}`, nil, "", false},
		{"escaped other key", `{"model":"a","m\u0065ssages":["a"]}`, []Member{msgs}, "", false},
		{"escaped string value", `{"x":"esc\"aped","model":null}`, nil, `{"x":"esc\"aped","model":"m"}`, true},
		{"no model", `{"messages":[]}`, []Member{msgs}, "", false},
		{"not an object", `[]`, nil, "", false},
	} {
		got, ok := RewriteModel([]byte(tc.in), "m", tc.set...)
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("%s: RewriteModel(%s) = %s %v, want %s %v", tc.name, tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzRewriteModel(f *testing.F) {
	f.Add([]byte(`{"model":"a","messages":[{"role":"user","content":"x"}],"stream_options":{}}`))
	f.Add([]byte(`{"a":{"b":[1,2,{"c":"}"}]},"model":"z"}`))
	f.Add([]byte(`{"system":"s","Messages":[],"model":"z","messages":[1],"seed":1}`))
	set := []Member{
		{Name: "stream_options", Value: []byte(`{"include_usage":true}`)},
		{Name: "messages", Value: []byte(`[{"role":"user","content":"new"}]`)},
		{Name: "system"},
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in map[string]json.RawMessage
		if json.Unmarshal(b, &in) != nil {
			return // only decoded bodies are ever rewritten
		}
		out, ok := RewriteModel(b, "m", set...)
		if !ok {
			return
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("rewrite of %s is not JSON: %s", b, out)
		}
		// Decoded as a struct, which matches names ignoring case and keeps
		// the last duplicate, the rewrite must read as the new members.
		var typed struct {
			Model         string
			StreamOptions json.RawMessage `json:"stream_options"`
			Messages      json.RawMessage
			System        json.RawMessage
		}
		if err := json.Unmarshal(out, &typed); err != nil {
			t.Fatalf("rewrite of %s: %v", b, err)
		}
		if typed.Model != "m" || string(typed.StreamOptions) != `{"include_usage":true}` ||
			string(typed.Messages) != string(set[1].Value) || typed.System != nil {
			t.Fatalf("rewrite of %s: %s", b, out)
		}
		for k, v := range in {
			if isSet(k, "model") || isSet(k, "stream_options") || isSet(k, "messages") || isSet(k, "system") {
				continue
			}
			if string(got[k]) != string(v) {
				t.Fatalf("member %q changed or lost in %s", k, out)
			}
		}
	})
}

func isSet(k, name string) bool { return strings.EqualFold(k, name) }
