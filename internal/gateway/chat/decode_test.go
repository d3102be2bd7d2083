package chat

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestJSONProblemSpeaksJSON checks that a wrong type is described in JSON
// terms: the gateway's Go type names mean nothing to a client, and the
// input, which may hold a prompt, is never quoted.
func TestJSONProblemSpeaksJSON(t *testing.T) {
	type wire struct {
		Messages []struct{ Role string } `json:"messages"`
		Format   *struct{ Type string }  `json:"response_format"`
		Max      *int                    `json:"max_tokens"`
		Temp     float64                 `json:"temperature"`
		Stream   bool                    `json:"stream"`
		Model    string                  `json:"model"`
		Stop     json.RawMessage         `json:"stop"`
	}
	for _, c := range []struct{ body, want string }{
		{`{"messages":"secret prompt"}`, "field messages: expected an array, got string"},
		{`{"response_format":[1]}`, "field response_format: expected an object, got array"},
		{`{"max_tokens":"secret"}`, "field max_tokens: expected an integer, got string"},
		{`{"max_tokens":1.5}`, "field max_tokens: expected an integer, got number"},
		{`{"temperature":"hot"}`, "field temperature: expected a number, got string"},
		{`{"stream":"yes"}`, "field stream: expected a boolean, got string"},
		{`{"model":5}`, "field model: expected a string, got number"},
	} {
		var w wire
		err := json.Unmarshal([]byte(c.body), &w)
		got := JSONProblem(err)
		if !strings.HasPrefix(got, c.want) || strings.Contains(got, "secret") || strings.Contains(got, "struct") {
			t.Errorf("%s: %q, want %q", c.body, got, c.want)
		}
	}
}
