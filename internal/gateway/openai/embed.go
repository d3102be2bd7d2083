package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

// DecodeEmbedRequest parses an embeddings request.
func DecodeEmbedRequest(body []byte) (*chat.EmbedRequest, error) {
	raw, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	r := &chat.EmbedRequest{Raw: body, Fields: raw}
	if err := field(raw, "model", &r.Model); err != nil {
		return nil, err
	}
	if r.Model == "" {
		return nil, chat.BadRequest("model", "model is required: name an embedding model or route alias")
	}
	in := bytes.TrimSpace(raw["input"])
	switch {
	case len(in) == 0 || string(in) == "null":
		return nil, chat.BadRequest("input", "input is required: a string, an array of strings or token arrays")
	case in[0] == '"':
		var s string
		if err := json.Unmarshal(in, &s); err != nil {
			return nil, chat.BadRequest("input", "input is not a valid string")
		}
		r.Inputs = []string{s}
	case in[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(in, &items); err != nil {
			return nil, chat.BadRequest("input", "input has the wrong type: %s", chat.JSONProblem(err))
		}
		if len(items) == 0 {
			return nil, chat.BadRequest("input", "input must not be empty")
		}
		for i, it := range items {
			it = bytes.TrimSpace(it)
			switch {
			case len(it) > 0 && it[0] == '"':
				var s string
				if err := json.Unmarshal(it, &s); err != nil {
					return nil, chat.BadRequest(fmt.Sprintf("input[%d]", i), "input item is not a valid string")
				}
				r.Inputs = append(r.Inputs, s)
			case len(it) > 0 && it[0] == '[':
				var toks []int
				if err := json.Unmarshal(it, &toks); err != nil {
					return nil, chat.BadRequest(fmt.Sprintf("input[%d]", i), "a token array must hold integers")
				}
				r.TokenInputs += len(toks)
			default:
				var tok int
				if err := json.Unmarshal(it, &tok); err != nil {
					return nil, chat.BadRequest(fmt.Sprintf("input[%d]", i), "input items must be strings, integers or arrays of integers")
				}
				r.TokenInputs++
			}
		}
	default:
		return nil, chat.BadRequest("input", "input must be a string or an array")
	}
	if err := field(raw, "dimensions", &r.Dimensions); err != nil {
		return nil, err
	}
	if r.Dimensions < 0 {
		return nil, chat.BadRequest("dimensions", "dimensions must be positive")
	}
	if err := field(raw, "encoding_format", &r.EncodingFormat); err != nil {
		return nil, err
	}
	switch r.EncodingFormat {
	case "", "float", "base64":
	default:
		return nil, chat.BadRequest("encoding_format", "encoding_format must be float or base64")
	}
	if err := field(raw, "user", &r.User); err != nil {
		return nil, err
	}
	return r, nil
}

// EncodeEmbedRequest builds the upstream body for model.
func EncodeEmbedRequest(r *chat.EmbedRequest, model string) []byte {
	if b, ok := chat.RewriteModel(r.Raw, model); ok {
		return b
	}
	f := make(map[string]json.RawMessage, len(r.Fields)+1)
	for k, v := range r.Fields {
		f[k] = v
	}
	f["model"], _ = json.Marshal(model)
	b, _ := json.Marshal(f)
	return b
}

// DecodeEmbedResponse reads the usage of an upstream embeddings answer and
// keeps the body to forward as is.
func DecodeEmbedResponse(body []byte) (*chat.EmbedResponse, error) {
	var w struct {
		Object string            `json:"object"`
		Data   []json.RawMessage `json:"data"`
		Model  string            `json:"model"`
		Usage  struct {
			PromptTokens int `json:"prompt_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decode openai embeddings response: %s", chat.JSONProblem(err))
	}
	if w.Object != "list" || w.Data == nil {
		return nil, fmt.Errorf("decode openai embeddings response: not an embeddings list")
	}
	return &chat.EmbedResponse{Model: w.Model, Usage: chat.Usage{InputTokens: w.Usage.PromptTokens}, Raw: body}, nil
}

// EncodeEmbedResponse renders vectors, as floats or base64 little-endian
// float32 as the client asked.
func EncodeEmbedResponse(r *chat.EmbedResponse, format string) []byte {
	if r.Raw != nil {
		return r.Raw
	}
	b := []byte(`{"object":"list","data":[`)
	for i, v := range r.Vectors {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = chat.AppendInt(b, int64(i))
		b = append(b, `,"embedding":`...)
		if format == "base64" {
			raw := make([]byte, 4*len(v))
			for j, f := range v {
				binary.LittleEndian.PutUint32(raw[4*j:], math.Float32bits(f))
			}
			b = chat.AppendString(b, base64.StdEncoding.EncodeToString(raw))
		} else {
			b = append(b, '[')
			for j, f := range v {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendFloat(b, f)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	b = append(b, `],"model":`...)
	b = chat.AppendString(b, r.Model)
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = chat.AppendInt(b, int64(r.Usage.InputTokens))
	b = append(b, `,"total_tokens":`...)
	b = chat.AppendInt(b, int64(r.Usage.InputTokens))
	return append(b, "}}"...)
}

func appendFloat(b []byte, f float32) []byte {
	v, _ := json.Marshal(f)
	return append(b, v...)
}

// ReplaceEmbedInputs puts rewritten text inputs (a guard's redaction) into
// the request, in order, keeping token-array items where they were. The
// raw body is dropped so the upstream body is rebuilt from Fields.
func ReplaceEmbedInputs(r *chat.EmbedRequest, texts []string) error {
	if len(texts) != len(r.Inputs) {
		return fmt.Errorf("replace embedding inputs: %d texts for %d inputs", len(texts), len(r.Inputs))
	}
	in := bytes.TrimSpace(r.Fields["input"])
	var out []byte
	var err error
	switch {
	case len(in) > 0 && in[0] == '"':
		out, err = json.Marshal(texts[0])
	case len(in) > 0 && in[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(in, &items); err != nil {
			return fmt.Errorf("replace embedding inputs: %s", chat.JSONProblem(err))
		}
		n := 0
		for i, it := range items {
			it = bytes.TrimSpace(it)
			if len(it) == 0 || it[0] != '"' {
				continue
			}
			if n >= len(texts) {
				return fmt.Errorf("replace embedding inputs: more string items than inputs")
			}
			if items[i], err = json.Marshal(texts[n]); err != nil {
				return err
			}
			n++
		}
		out, err = json.Marshal(items)
	default:
		return fmt.Errorf("replace embedding inputs: input is neither a string nor an array")
	}
	if err != nil {
		return err
	}
	f := make(map[string]json.RawMessage, len(r.Fields))
	for k, v := range r.Fields {
		f[k] = v
	}
	f["input"] = out
	r.Fields, r.Raw, r.Inputs = f, nil, texts
	return nil
}
