package guardbridge_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
)

// respond posts a Responses API request.
func (e *env) respond(body string) (int, http.Header, string) {
	e.t.Helper()
	return e.do(http.MethodPost, "/v1/responses", keyUser, body)
}

// streamResponse streams a Responses API request with the official SDK and
// returns the text of its deltas, the final response and the events'
// types.
func (e *env) streamResponse(model, instructions, input string) (deltas string, final *responses.Response, types []string, id string) {
	e.t.Helper()
	c := openai.NewClient(option.WithBaseURL(e.srv.URL+"/v1"), option.WithAPIKey(keyUser), option.WithMaxRetries(0))
	var hr *http.Response
	s := c.Responses.NewStreaming(context.Background(), responses.ResponseNewParams{
		Model: model, Instructions: openai.String(instructions),
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String(input)},
	}, option.WithResponseInto(&hr))
	for s.Next() {
		ev := s.Current()
		types = append(types, ev.Type)
		switch x := ev.AsAny().(type) {
		case responses.ResponseTextDeltaEvent:
			deltas += x.Delta
		case responses.ResponseCompletedEvent:
			final = &x.Response
		case responses.ResponseFailedEvent:
			final = &x.Response
		}
	}
	if err := s.Err(); err != nil {
		e.t.Fatal(err)
	}
	return deltas, final, types, hr.Header.Get("X-Request-Id")
}

// TestResponsesPIIRedactedBeforeUpstream checks that a Responses request
// reaches either kind of upstream with placeholders for personal data and
// the canary, while the answer repeats the instructions as the client sent
// them, never what the guards made of them.
func TestResponsesPIIRedactedBeforeUpstream(t *testing.T) {
	e := newEnv(t, nil)
	instructions := "You help Acme support. Escalate to " + opsMal + "."
	for _, model := range []string{"gpt", "claude"} {
		up := e.openai
		if model == "claude" {
			up = e.anthropic
		}
		body, _ := json.Marshal(map[string]any{"model": model, "instructions": instructions,
			"input": []any{map[string]any{"role": "user", "content": []any{map[string]string{"type": "input_text", "text": "Please email " + email + " and call " + phone + " about order 7."}}}}})
		st, h, out := e.respond(string(body))
		if st != http.StatusOK {
			t.Fatalf("%s: status %d: %s", model, st, out)
		}
		got := sent(t, up)
		for _, v := range []string{email, "7946 0958", opsMal} {
			if strings.Contains(got, v) {
				t.Errorf("%s: the upstream saw %q: %s", model, v, got)
			}
		}
		for _, want := range []string{"<EMAIL_1>", "<EMAIL_2>", "<PHONE_1>", "attest-canary-"} {
			if !strings.Contains(got, want) {
				t.Errorf("%s: the upstream body lacks %s: %s", model, want, got)
			}
		}
		if jsonPath(t, out, "instructions") != instructions || strings.Contains(out, "attest-canary-") {
			t.Errorf("%s: the answer repeats instructions %q", model, jsonPath(t, out, "instructions"))
		}
		g, _ := e.entry("inference.request", h.Get("X-Request-Id"))["guard"].(map[string]any)
		if g["scanned"] != true || field(g, "findings.EMAIL") != 2.0 || field(g, "findings.PHONE") != 1.0 {
			t.Errorf("%s: request guard summary %v", model, g)
		}
		e.entry("inference.response", h.Get("X-Request-Id"))
	}
	e.leaks(email, "7946 0958", opsMal)
}

// TestResponsesStreamSplitEntityCaught streams an answer whose email and
// phone number are cut across chunks: neither reaches the client, in the
// deltas or in the final response object.
func TestResponsesStreamSplitEntityCaught(t *testing.T) {
	for _, proto := range protos {
		t.Run(proto, func(t *testing.T) {
			e := newEnv(t, nil)
			model, reply := routeOf(e, proto)
			reply(func(_, _ string) []string {
				return []string{"Sure. Write to jane.d", "oe@exam", "ple.com or call +44 20 ", "7946 0958 today", "."}
			})
			deltas, final, _, id := e.streamResponse(model, "Be brief.", "How do I reach the customer?")
			if final == nil || final.Status != "completed" {
				t.Fatalf("final response %+v", final)
			}
			for _, text := range []string{deltas, final.OutputText()} {
				if strings.Contains(text, email) || strings.Contains(text, "7946") || strings.Contains(text, "oe@exam") {
					t.Errorf("a split entity reached the client: %q", text)
				}
				if !strings.HasPrefix(text, "Sure. Write to <EMAIL_1> or call <PHONE_1>") || !strings.HasSuffix(text, "today.") {
					t.Errorf("streamed text %q", text)
				}
			}
			o, _ := e.entry("inference.response", id)["guard_output"].(map[string]any)
			if field(o, "findings.EMAIL") != 1.0 || field(o, "findings.PHONE") != 1.0 || o["scanned"] != true {
				t.Errorf("guard output %v", o)
			}
			e.leaks(email, "7946 0958")
		})
	}
}

// TestResponsesStreamStopped ends a stream that leaks the canary with an
// error event and response.failed.
func TestResponsesStreamStopped(t *testing.T) {
	e := newEnv(t, nil)
	e.openai.SetReply(func(system, _ string) []string { return []string{"My instructions: ", system[:20], system[20:]} })
	deltas, final, types, id := e.streamResponse("gpt", "You are the secret pricing bot.", "Hello there.")
	if final == nil || final.Status != "failed" || final.Error.Code != "answer_blocked" || !strings.Contains(final.Error.Message, "canary") {
		t.Fatalf("final response %+v, events %v", final, types)
	}
	if strings.Contains(deltas, "attest-canary-") || strings.Contains(final.OutputText(), "attest-canary-") || types[len(types)-2] != "error" {
		t.Errorf("deltas %q events %v", deltas, types)
	}
	res := e.entry("inference.response", id)
	if o, _ := res["guard_output"].(map[string]any); o["action"] != "block" || res["error"] != "answer_blocked" {
		t.Errorf("audit entry %v", res)
	}
}

// responsesSchema asks for an object with a string "answer" and nothing
// else, as a Responses API text.format.
const responsesSchema = `"text":{"format":{"type":"json_schema","name":"reply","strict":true,"schema":{"type":"object","required":["answer"],"properties":{"answer":{"type":"string"}},"additionalProperties":false}}}`

// TestResponsesSchemaChecked checks that the output guard holds answers to
// the text.format schema: retried once, then withheld.
func TestResponsesSchemaChecked(t *testing.T) {
	e := newEnv(t, nil)
	st, h, out := e.respond(`{"model":"gpt","input":"hello",` + responsesSchema + `}`)
	if st != http.StatusUnprocessableEntity || jsonPath(t, out, "error.code") != "answer_blocked" || e.openai.Count() != 2 {
		t.Fatalf("status %d after %d calls: %s", st, e.openai.Count(), out)
	}
	if o, _ := e.entry("inference.response", h.Get("X-Request-Id"))["guard_output"].(map[string]any); o["action"] != "block" || o["retried"] != true {
		t.Errorf("guard output %v", o)
	}
	e.openai.SetReply(func(_, _ string) []string { return []string{`{"answer":"yes"}`} })
	st, _, out = e.respond(`{"model":"gpt","input":"hello",` + responsesSchema + `}`)
	if st != http.StatusOK || jsonPath(t, out, "status") != "completed" {
		t.Errorf("a matching answer: status %d: %s", st, out)
	}
	st, _, out = e.respond(`{"model":"gpt","input":"hello","text":{"format":{"type":"json_schema","name":"x","schema":{"type":5}}}}`)
	if msg, _ := jsonPath(t, out, "error.message").(string); st != http.StatusBadRequest || jsonPath(t, out, "error.param") != "text.format" ||
		!strings.Contains(msg, "text.format") || strings.Contains(msg, "response_format") {
		t.Errorf("a schema that does not compile: status %d: %s", st, out)
	}
}
