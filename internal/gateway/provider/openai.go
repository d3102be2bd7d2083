package provider

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/gateway/openai"
)

// maxUpstreamBody bounds a non-stream upstream answer.
const maxUpstreamBody = 32 << 20

// OpenAI calls the OpenAI API, Azure OpenAI or any OpenAI-compatible
// server.
type OpenAI struct {
	name       string
	kind       string
	base       string
	apiVersion string
	key        func() string
	authFailed func()
	client     *http.Client
}

// OpenAIOptions configures an OpenAI-kind provider.
type OpenAIOptions struct {
	Name string
	// Kind is openai, azure or openai-compatible.
	Kind    string
	BaseURL string
	// APIVersion is Azure's api-version query parameter.
	APIVersion string
	// Key returns the current credential; it may return "" for servers
	// that need none.
	Key func() string
	// AuthFailed is called when the upstream rejects the credential, so a
	// rotated key is fetched at once.
	AuthFailed func()
	Client     *http.Client
}

// NewOpenAI returns a provider for o.
func NewOpenAI(o OpenAIOptions) (*OpenAI, error) {
	base := strings.TrimRight(o.BaseURL, "/")
	switch o.Kind {
	case KindOpenAI:
		if base == "" {
			base = "https://api.openai.com/v1"
		}
	case KindAzure:
		if base == "" {
			return nil, fmt.Errorf("provider %s: azure needs base_url, the resource endpoint such as https://NAME.openai.azure.com", o.Name)
		}
		if o.APIVersion == "" {
			return nil, fmt.Errorf("provider %s: azure needs api_version, such as 2024-10-21", o.Name)
		}
	case KindCompatible:
		if base == "" {
			return nil, fmt.Errorf("provider %s: openai-compatible needs base_url, such as http://localhost:8000/v1", o.Name)
		}
	default:
		return nil, fmt.Errorf("provider %s: kind %q is not openai, azure or openai-compatible", o.Name, o.Kind)
	}
	if _, err := url.Parse(base); err != nil {
		return nil, fmt.Errorf("provider %s: base_url: %w", o.Name, err)
	}
	if o.Key == nil {
		o.Key = func() string { return "" }
	}
	if o.Client == nil {
		o.Client = &http.Client{Transport: NewTransport()}
	}
	return &OpenAI{name: o.Name, kind: o.Kind, base: base, apiVersion: o.APIVersion, key: o.Key, authFailed: o.AuthFailed, client: o.Client}, nil
}

// Name implements Provider.
func (p *OpenAI) Name() string { return p.name }

// Kind implements Provider.
func (p *OpenAI) Kind() string { return p.kind }

func (p *OpenAI) endpoint(model, op string) string {
	if p.kind == KindAzure {
		return p.base + "/openai/deployments/" + url.PathEscape(model) + "/" + op + "?api-version=" + url.QueryEscape(p.apiVersion)
	}
	return p.base + "/" + op
}

func (p *OpenAI) do(ctx context.Context, method, u string, body []byte, stream bool) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, &Error{Provider: p.name, Err: fmt.Errorf("build request: %w", err)}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if stream {
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if k := p.key(); k != "" {
		if p.kind == KindAzure {
			req.Header.Set("api-key", k)
		} else {
			req.Header.Set("Authorization", "Bearer "+k)
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, transportError(p.name, err)
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		_, _, msg := openai.DecodeError(b)
		e := statusError(p.name, resp, msg)
		if e.AuthFailed && p.authFailed != nil {
			p.authFailed()
		}
		return nil, e
	}
	return resp, nil
}

// Chat implements Provider.
func (p *OpenAI) Chat(ctx context.Context, req *chat.Request, model string) (*Result, error) {
	body, err := openai.EncodeRequest(req, model)
	if err != nil {
		return nil, &Error{Provider: p.name, Final: true, Err: err}
	}
	resp, err := p.do(ctx, http.MethodPost, p.endpoint(model, "chat/completions"), body, req.Stream)
	if err != nil {
		return nil, err
	}
	if req.Stream {
		s, err := firstEvent(p.name, openai.NewStreamDecoder(resp.Body))
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
	r, err := openai.DecodeResponse(raw)
	if err != nil {
		return nil, badBody(p.name, err)
	}
	res := &Result{Response: r}
	if req.Source == chat.OpenAI {
		res.Raw = raw
	}
	return res, nil
}

// Embed implements Provider.
func (p *OpenAI) Embed(ctx context.Context, req *chat.EmbedRequest, model string) (*chat.EmbedResponse, error) {
	resp, err := p.do(ctx, http.MethodPost, p.endpoint(model, "embeddings"), openai.EncodeEmbedRequest(req, model), false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxUpstreamBody))
	if err != nil {
		return nil, transportError(p.name, err)
	}
	r, err := openai.DecodeEmbedResponse(raw)
	if err != nil {
		return nil, badBody(p.name, err)
	}
	return r, nil
}

// Probe implements Provider by listing models.
func (p *OpenAI) Probe(ctx context.Context) error {
	u := p.base + "/models"
	if p.kind == KindAzure {
		u = p.base + "/openai/models?api-version=" + url.QueryEscape(p.apiVersion)
	}
	resp, err := p.do(ctx, http.MethodGet, u, nil, false)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.Body.Close()
}

var _ Provider = (*OpenAI)(nil)
