package guardbridge_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	aoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// streamed is what an SDK made of a streamed answer.
type streamed struct {
	text, args string
	err        error
	id         string
}

// stream sends a streaming chat request with the official SDK of proto and
// accumulates the answer, as an application would.
func (e *env) stream(proto, model, system, user string, tools bool) streamed {
	e.t.Helper()
	ctx := context.Background()
	var out streamed
	if proto == "anthropic" {
		c := anthropic.NewClient(aoption.WithBaseURL(e.srv.URL), aoption.WithAPIKey(keyUser), aoption.WithMaxRetries(0))
		p := anthropic.MessageNewParams{Model: anthropic.Model(model), MaxTokens: 256,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(user))}}
		if system != "" {
			p.System = []anthropic.TextBlockParam{{Text: system}}
		}
		if tools {
			p.Tools = []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "send", InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{}}}}}
		}
		var resp *http.Response
		s := c.Messages.NewStreaming(ctx, p, aoption.WithResponseInto(&resp))
		var msg anthropic.Message
		for s.Next() {
			if err := msg.Accumulate(s.Current()); err != nil {
				e.t.Fatalf("the stream does not accumulate: %v", err)
			}
		}
		out.err = s.Err()
		for _, b := range msg.Content {
			out.text += b.Text
			if b.Type == "tool_use" {
				out.args += string(b.Input)
			}
		}
		if resp != nil {
			out.id = resp.Header.Get("X-Request-Id")
		}
		return out
	}
	c := openai.NewClient(option.WithBaseURL(e.srv.URL+"/v1"), option.WithAPIKey(keyUser), option.WithMaxRetries(0))
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage(user)}
	if system != "" {
		msgs = append([]openai.ChatCompletionMessageParamUnion{openai.SystemMessage(system)}, msgs...)
	}
	p := openai.ChatCompletionNewParams{Model: model, Messages: msgs}
	if tools {
		p.Tools = []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{Name: "send"})}
	}
	var resp *http.Response
	s := c.Chat.Completions.NewStreaming(ctx, p, option.WithResponseInto(&resp))
	var acc openai.ChatCompletionAccumulator
	for s.Next() {
		acc.AddChunk(s.Current())
	}
	out.err = s.Err()
	if len(acc.Choices) > 0 {
		out.text = acc.Choices[0].Message.Content
		for _, tc := range acc.Choices[0].Message.ToolCalls {
			out.args += tc.Function.Arguments
		}
	}
	if resp != nil {
		out.id = resp.Header.Get("X-Request-Id")
	}
	return out
}

func routeOf(e *env, proto string) (string, func(func(string, string) []string)) {
	if proto == "anthropic" {
		return "claude", e.anthropic.SetReply
	}
	return "gpt", e.openai.SetReply
}

// TestStreamSplitEntityCaught streams an answer whose email and phone
// number are cut across chunks: neither reaches the client.
func TestStreamSplitEntityCaught(t *testing.T) {
	for _, proto := range protos {
		t.Run(proto, func(t *testing.T) {
			e := newEnv(t, nil)
			model, reply := routeOf(e, proto)
			reply(func(_, _ string) []string {
				return []string{"Sure. Write to jane.d", "oe@exam", "ple.com or call +44 20 ", "7946 0958 today", "."}
			})
			got := e.stream(proto, model, "Be brief.", "How do I reach the customer?", false)
			if got.err != nil {
				t.Fatal(got.err)
			}
			if strings.Contains(got.text, email) || strings.Contains(got.text, "7946") || strings.Contains(got.text, "oe@exam") {
				t.Errorf("a split entity reached the client: %q", got.text)
			}
			if !strings.HasPrefix(got.text, "Sure. Write to <EMAIL_1> or call <PHONE_1>") || !strings.HasSuffix(got.text, "today.") {
				t.Errorf("streamed text %q", got.text)
			}
			o, _ := e.entry("inference.response", got.id)["guard_output"].(map[string]any)
			if field(o, "findings.EMAIL") != 1.0 || field(o, "findings.PHONE") != 1.0 || o["scanned"] != true {
				t.Errorf("guard output %v", o)
			}
			e.leaks(email, "7946 0958")
		})
	}
}

// TestStreamTokensRestored cuts a token across chunks; the client still
// gets the value back, in text and in streamed tool-call arguments.
func TestStreamTokensRestored(t *testing.T) {
	for _, proto := range protos {
		t.Run(proto, func(t *testing.T) {
			e := newEnv(t, tokenizing())
			model, reply := routeOf(e, proto)
			got := e.stream(proto, model, "Be brief.", "Draft a note to "+email, true)
			if got.err != nil || !strings.Contains(got.args, email) || strings.Contains(got.args, "EMAIL_T") {
				t.Errorf("tool call arguments %q (err %v)", got.args, got.err)
			}
			reply(func(_, user string) []string {
				i := strings.Index(user, "<EMAIL_T1>")
				if i < 0 {
					return []string{"no token in: " + user}
				}
				return []string{"Writing to <EMA", "IL_T", "1> now."}
			})
			got = e.stream(proto, model, "Be brief.", "Draft a note to "+email, false)
			if got.err != nil || got.text != "Writing to "+email+" now." {
				t.Errorf("streamed text %q (err %v)", got.text, got.err)
			}
			e.leaks(email)
		})
	}
}

// TestStreamStopped ends streams that leak the canary, carry a secret or
// fail the schema, with an error the SDKs report.
func TestStreamStopped(t *testing.T) {
	for _, proto := range protos {
		t.Run(proto, func(t *testing.T) {
			e := newEnv(t, nil)
			model, reply := routeOf(e, proto)
			reply(func(system, _ string) []string { return []string{"My instructions: ", system[:20], system[20:]} })
			got := e.stream(proto, model, "You are the secret pricing bot.", "Hello there.", false)
			if got.err == nil || !strings.Contains(got.err.Error(), "canary") || strings.Contains(got.text, "attest-canary-") {
				t.Errorf("canary: text %q err %v", got.text, got.err)
			}
			res := e.entry("inference.response", got.id)
			if o, _ := res["guard_output"].(map[string]any); o["action"] != "block" || res["error"] != "answer_blocked" {
				t.Errorf("audit entry %v", res)
			}
			reply(func(_, _ string) []string { return []string{"The key is AKIAIOSF", "ODNN7EXAMPLE", " ok"} })
			got = e.stream(proto, model, "Be brief.", "Hello there.", false)
			if got.err == nil || strings.Contains(got.text, "AKIA") {
				t.Errorf("secret: text %q err %v", got.text, got.err)
			}
		})
	}
}

// TestStreamSchemaFailure streams a json_schema answer that fails the
// schema: text already went out, so there is no retry and the stream ends
// with an error event.
func TestStreamSchemaFailure(t *testing.T) {
	e := newEnv(t, nil)
	st, h, out := e.chat("openai", userBody("openai", "gpt", "Answer in JSON.", "hello", schemaFormat+`,"stream":true`))
	if st != http.StatusOK || !strings.Contains(out, "answer_blocked") || !strings.Contains(out, "requested JSON schema") || strings.Contains(out, "[DONE]") {
		t.Fatalf("status %d: %s", st, out)
	}
	if e.openai.Count() != 1 {
		t.Errorf("a stream was retried: %d calls", e.openai.Count())
	}
	o, _ := e.entry("inference.response", h.Get("X-Request-Id"))["guard_output"].(map[string]any)
	if o["action"] != "block" || o["retried"] == true {
		t.Errorf("guard output %v", o)
	}
}

func TestRedactForRetention(t *testing.T) {
	g := sharedGuard(t)
	got := g.Redact(context.Background(), tenant, "Mail "+email+" or call "+phone+".")
	if strings.Contains(got, email) || strings.Contains(got, "7946") || !strings.Contains(got, "<EMAIL_1>") {
		t.Errorf("redacted for retention: %q", got)
	}
}
