package openai

import (
	"slices"
	"strings"
	"testing"
)

// FuzzReplaceEmbedInputs rewrites the text inputs of any request the
// decoder accepts: the rebuilt upstream body decodes to the new texts in
// the same places, with the token inputs untouched.
func FuzzReplaceEmbedInputs(f *testing.F) {
	for _, s := range []string{
		`{"model":"m","input":"mail jane@example.com"}`,
		`{"model":"m","input":["a",[1,2,3],"b",7],"dimensions":8}`,
		`{"model":"m","input":["\u003cx\u003e"],"user":"u"}`,
		`{"model":"m","input":[[1],[2]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeEmbedRequest(body)
		if err != nil {
			return
		}
		texts := make([]string, len(r.Inputs))
		for i, in := range r.Inputs {
			texts[i] = "<" + strings.ToUpper(in) + ">"
		}
		tokens := r.TokenInputs
		if err := ReplaceEmbedInputs(r, texts); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		back, err := DecodeEmbedRequest(EncodeEmbedRequest(r, "up"))
		if err != nil {
			t.Fatalf("rebuilt body does not decode: %v", err)
		}
		if !slices.Equal(back.Inputs, texts) || back.TokenInputs != tokens || back.Model != "up" {
			t.Fatalf("rebuilt %q (%d tokens), want %q (%d tokens)", back.Inputs, back.TokenInputs, texts, tokens)
		}
	})
}

func TestReplaceEmbedInputsCount(t *testing.T) {
	r, _ := DecodeEmbedRequest([]byte(`{"model":"m","input":["a","b"]}`))
	if err := ReplaceEmbedInputs(r, []string{"x"}); err == nil {
		t.Error("a short list of texts was accepted")
	}
}
