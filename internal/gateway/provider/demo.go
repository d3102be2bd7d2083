package provider

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"time"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

// DemoModel is the model name the demo provider answers to.
const DemoModel = "attest-demo-echo"

// demoPrefix labels every demo answer so nobody mistakes it for a model.
const demoPrefix = "[attest demo model, not a real LLM] You said: "

// Demo is the built-in demonstration provider: a deterministic model that
// echoes the last user message, word by word when streaming. It lets a
// fresh install answer the quick start with no upstream at all.
type Demo struct{ name string }

// NewDemo returns the demo provider.
func NewDemo(name string) *Demo { return &Demo{name: name} }

// Name implements Provider.
func (d *Demo) Name() string { return d.name }

// Kind implements Provider.
func (d *Demo) Kind() string { return KindDemo }

// Chat implements Provider.
func (d *Demo) Chat(ctx context.Context, req *chat.Request, model string) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, transportError(d.name, err)
	}
	last := req.LastUserText()
	sum := sha256.Sum256([]byte(last))
	r := &chat.Response{
		ID:         "demo-" + hex.EncodeToString(sum[:8]),
		Model:      model,
		Created:    time.Now().Unix(),
		StopReason: chat.StopEnd,
	}
	if len(last) > 2000 {
		last = last[:2000]
	}
	switch {
	case req.ToolChoice != nil && len(req.Tools) > 0 && (req.ToolChoice.Mode == chat.ToolRequired || req.ToolChoice.Mode == chat.ToolNamed):
		name := req.Tools[0].Name
		if req.ToolChoice.Mode == chat.ToolNamed {
			name = req.ToolChoice.Name
		}
		args, _ := json.Marshal(map[string]string{"echo": last})
		r.Parts = []chat.Part{{Type: chat.PartToolCall, ToolID: "call_demo_" + hex.EncodeToString(sum[:4]), ToolName: name, Args: string(args)}}
		r.StopReason = chat.StopToolCalls
	case req.ResponseFormat != nil && req.ResponseFormat.Type != chat.FormatText:
		// An answer in the requested schema's shape, so the output guard's
		// schema check passes; otherwise a fixed object.
		b, ok := demoInstance(req.ResponseFormat.Schema, last)
		if !ok {
			b, _ = json.Marshal(map[string]string{"demo": "attest demo model", "echo": last})
		}
		r.Parts = []chat.Part{{Type: chat.PartText, Text: string(b)}}
	default:
		r.Parts = []chat.Part{{Type: chat.PartText, Text: demoPrefix + last}}
	}
	texts := req.Texts()
	r.Usage = chat.Usage{InputTokens: chat.EstimateTokens(texts...), OutputTokens: chat.EstimateTokens(r.Text()) + 1}
	if req.Stream {
		return &Result{Stream: chat.ResponseStream(r, 16)}, nil
	}
	return &Result{Response: r}, nil
}

// Embed implements Provider with unit vectors derived from a hash of each
// input, so equal inputs embed equally.
func (d *Demo) Embed(ctx context.Context, req *chat.EmbedRequest, model string) (*chat.EmbedResponse, error) {
	dim := req.Dimensions
	if dim <= 0 || dim > 4096 {
		dim = 16
	}
	inputs := req.Inputs
	if len(inputs) == 0 && req.TokenInputs > 0 {
		inputs = []string{""}
	}
	out := &chat.EmbedResponse{Model: model}
	for _, in := range inputs {
		v := make([]float32, dim)
		var norm float64
		seed := sha256.Sum256([]byte(in))
		for i := range v {
			if i%8 == 0 && i > 0 {
				seed = sha256.Sum256(seed[:])
			}
			x := float64(int32(binary.LittleEndian.Uint32(seed[(i%8)*4:]))) / math.MaxInt32
			v[i] = float32(x)
			norm += x * x
		}
		norm = math.Sqrt(norm)
		for i := range v {
			v[i] = float32(float64(v[i]) / norm)
		}
		out.Vectors = append(out.Vectors, v)
	}
	out.Usage = chat.Usage{InputTokens: chat.EstimateTokens(req.Inputs...) + req.TokenInputs}
	return out, nil
}

// Probe implements Provider.
func (d *Demo) Probe(context.Context) error { return nil }

var _ Provider = (*Demo)(nil)
