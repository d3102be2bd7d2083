package provider

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/attest-ai/attest/internal/gateway/anthropic"
	"github.com/attest-ai/attest/internal/gateway/chat"
)

// AnthropicVersion is the Messages API version the gateway speaks upstream.
const AnthropicVersion = "2023-06-01"

// Anthropic calls the Anthropic Messages API.
type Anthropic struct {
	name       string
	base       string
	version    string
	key        func() string
	authFailed func()
	client     *http.Client
}

// AnthropicOptions configures an Anthropic provider.
type AnthropicOptions struct {
	Name       string
	BaseURL    string
	APIVersion string
	Key        func() string
	AuthFailed func()
	Client     *http.Client
}

// NewAnthropic returns a provider for o.
func NewAnthropic(o AnthropicOptions) *Anthropic {
	base := strings.TrimRight(o.BaseURL, "/")
	if base == "" {
		base = "https://api.anthropic.com"
	}
	base = strings.TrimSuffix(base, "/v1")
	if o.APIVersion == "" {
		o.APIVersion = AnthropicVersion
	}
	if o.Key == nil {
		o.Key = func() string { return "" }
	}
	if o.Client == nil {
		o.Client = &http.Client{Transport: NewTransport()}
	}
	return &Anthropic{name: o.Name, base: base, version: o.APIVersion, key: o.Key, authFailed: o.AuthFailed, client: o.Client}
}

// Name implements Provider.
func (p *Anthropic) Name() string { return p.name }

// Kind implements Provider.
func (p *Anthropic) Kind() string { return KindAnthropic }

func (p *Anthropic) do(ctx context.Context, method, path string, body []byte, stream bool, beta []string) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.base+path, rd)
	if err != nil {
		return nil, &Error{Provider: p.name, Err: fmt.Errorf("build request: %w", err)}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if stream {
		req.Header.Set("Accept", "text/event-stream")
	}
	req.Header.Set("anthropic-version", p.version)
	if len(beta) > 0 {
		req.Header.Set("anthropic-beta", strings.Join(beta, ","))
	}
	if k := p.key(); k != "" {
		req.Header.Set("x-api-key", k)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, transportError(p.name, err)
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		_, msg := anthropic.DecodeError(b)
		e := statusError(p.name, resp, msg)
		if resp.StatusCode == 529 {
			e.Retryable = true
		}
		if e.AuthFailed && p.authFailed != nil {
			p.authFailed()
		}
		return nil, e
	}
	return resp, nil
}

// Chat implements Provider.
func (p *Anthropic) Chat(ctx context.Context, req *chat.Request, model string) (*Result, error) {
	body, jsonMode, err := anthropic.EncodeRequest(req, model)
	if err != nil {
		return nil, &Error{Provider: p.name, Final: true, Err: err}
	}
	var beta []string
	if req.Source == chat.Anthropic {
		// Beta features are the client's request of Anthropic; a request
		// translated from OpenAI asked for none.
		beta = req.Beta
	}
	resp, err := p.do(ctx, http.MethodPost, "/v1/messages", body, req.Stream, beta)
	if err != nil {
		return nil, err
	}
	if req.Stream {
		s, err := firstEvent(p.name, anthropic.NewStreamDecoder(resp.Body, jsonMode))
		if err != nil {
			return nil, err
		}
		return &Result{Stream: s}, nil
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxUpstreamBody))
	if err != nil {
		return nil, transportError(p.name, err)
	}
	r, err := anthropic.DecodeResponse(raw, jsonMode)
	if err != nil {
		return nil, badBody(p.name, err)
	}
	res := &Result{Response: r}
	if req.Source == chat.Anthropic {
		res.Raw = raw
	}
	return res, nil
}

// Embed implements Provider; Anthropic has no embeddings API.
func (p *Anthropic) Embed(context.Context, *chat.EmbedRequest, string) (*chat.EmbedResponse, error) {
	return nil, &Error{Provider: p.name, Err: fmt.Errorf("anthropic providers serve no embeddings; route embedding models to an openai-kind provider")}
}

// Probe implements Provider by listing models.
func (p *Anthropic) Probe(ctx context.Context) error {
	resp, err := p.do(ctx, http.MethodGet, "/v1/models", nil, false, nil)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.Body.Close()
}

var _ Provider = (*Anthropic)(nil)
