package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/responses"

	"github.com/attest-ai/attest/internal/gateway/gatewaytest"
	"github.com/attest-ai/attest/internal/ledger"
)

func userInput(text string) responses.ResponseNewParamsInputUnion {
	return responses.ResponseNewParamsInputUnion{OfString: openai.String(text)}
}

func itemsInput(items ...responses.ResponseInputItemUnionParam) responses.ResponseNewParamsInputUnion {
	return responses.ResponseNewParamsInputUnion{OfInputItemList: items}
}

func weatherFunction() responses.ToolUnionParam {
	return responses.ToolParamOfFunction("get_weather", map[string]any{
		"type":       "object",
		"properties": map[string]any{"query": map[string]string{"type": "string"}},
	}, false)
}

// collected is what a client made of a streamed response.
type collected struct {
	types  []string
	deltas string
	args   string
	final  *responses.Response
	// accumulated is the response the SDK's accumulator rebuilt.
	accumulated *responses.Response
}

// collect reads a Responses stream as an application would, checking the
// sequence numbers on the way, and folds it with the SDK's accumulator.
func collect(t *testing.T, s *ssestream.Stream[responses.ResponseStreamEventUnion]) collected {
	t.Helper()
	var c collected
	var acc responses.ResponseAccumulator
	for s.Next() {
		ev := s.Current()
		if int(ev.SequenceNumber) != len(c.types) {
			t.Errorf("event %d (%s) has sequence number %d", len(c.types), ev.Type, ev.SequenceNumber)
		}
		c.types = append(c.types, ev.Type)
		switch e := ev.AsAny().(type) {
		case responses.ResponseTextDeltaEvent:
			c.deltas += e.Delta
		case responses.ResponseFunctionCallArgumentsDeltaEvent:
			c.args += e.Delta
		case responses.ResponseCompletedEvent:
			c.final = &e.Response
		case responses.ResponseIncompleteEvent:
			c.final = &e.Response
		}
		var u responses.ResponsesServerEventUnion
		if err := json.Unmarshal([]byte(ev.RawJSON()), &u); err != nil {
			t.Fatal(err)
		}
		if err := acc.AddEvent(u); err != nil {
			t.Fatalf("the SDK's accumulator refused %s: %v", ev.Type, err)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	r, err := acc.ReconstructedResponse()
	if err != nil {
		t.Fatalf("the SDK's accumulator found no finished response: %v", err)
	}
	c.accumulated = r
	return c
}

func TestResponsesSDKPlain(t *testing.T) {
	e := newEnv(t)
	c := e.openaiClient(keyA)
	for _, tc := range []struct{ model, want, upstreamModel string }{
		{"gpt", "echo: hello there", "gpt-4o-2025-01-01"},
		{"azure", "echo: hello there", "my-deployment-2025-01-01"},
		{"claude", "echo: hello there", "claude-x-2025-01-01"},
		{"demo", "[attest demo model, not a real LLM] You said: hello there", "attest-demo-echo"},
	} {
		t.Run(tc.model, func(t *testing.T) {
			var hr *http.Response
			got, err := c.Responses.New(context.Background(), responses.ResponseNewParams{
				Model:        tc.model,
				Instructions: openai.String("be brief"),
				Input:        userInput("hello there"),
				User:         openai.String("end-user-1"),
				Store:        openai.Bool(true),
				Metadata:     map[string]string{"ticket": "T-7"},
			}, option.WithResponseInto(&hr))
			if err != nil {
				t.Fatal(err)
			}
			if got.OutputText() != tc.want || got.Status != responses.ResponseStatusCompleted || got.Model != tc.upstreamModel {
				t.Errorf("text %q status %q model %q", got.OutputText(), got.Status, got.Model)
			}
			id := hr.Header.Get("X-Request-Id")
			if got.ID != "resp_"+strings.TrimPrefix(id, "req_") || got.Object != "response" || got.CreatedAt == 0 {
				t.Errorf("id %q (request %s) object %q created %v", got.ID, id, got.Object, got.CreatedAt)
			}
			if got.JSON.ExtraFields["store"].Raw() != "false" || got.Instructions.OfString != "be brief" || got.Metadata["ticket"] != "T-7" {
				t.Errorf("store %s instructions %q metadata %v", got.JSON.ExtraFields["store"].Raw(), got.Instructions.OfString, got.Metadata)
			}
			if got.Usage.InputTokens == 0 || got.Usage.OutputTokens == 0 || got.Usage.TotalTokens != got.Usage.InputTokens+got.Usage.OutputTokens {
				t.Errorf("usage %+v", got.Usage)
			}
			req := e.byRequest("inference.request", id)
			res := e.byRequest("inference.response", id)
			if req["api"] != "openai.responses" || res["api"] != "openai.responses" || req["route"] != tc.model || req["messages"] != float64(1) {
				t.Errorf("request entry %v", req)
			}
			if res["status"] != float64(200) || res["model_version"] != tc.upstreamModel || res["response_hmac"] == nil {
				t.Errorf("response entry %v", res)
			}
			subs := res["_subjects"].([]ledger.Ref)
			if len(subs) != 2 || !strings.HasPrefix(subs[0].ID, "p_tenant-a_") || subs[1] != (ledger.Ref{Kind: "api_key", ID: "key_a"}) {
				t.Errorf("subjects = %v, want the pseudonymous end user and the key", subs)
			}
		})
	}
	// The upstreams got the conversation translated: instructions as the
	// system prompt.
	var body map[string]any
	oa := e.openai.Requests()[0]
	json.Unmarshal(oa.Body, &body)
	msgs, _ := body["messages"].([]any)
	if oa.Path != "/v1/chat/completions" || body["model"] != "gpt-4o" || len(msgs) != 2 || jsonFieldOr(oa.Body, "messages.0.role") != "system" {
		t.Errorf("openai upstream got %s %s", oa.Path, oa.Body)
	}
	an := e.anthropic.Requests()[0]
	json.Unmarshal(an.Body, &body)
	if an.Path != "/v1/messages" || body["system"] != "be brief" || body["max_tokens"] == nil {
		t.Errorf("anthropic upstream got %s %s", an.Path, an.Body)
	}
	// The request log and metrics name the API, and neither carries the
	// prompt.
	_, metrics := getMetrics(t, e)
	if !strings.Contains(metrics, `api="openai.responses"`) {
		t.Error("no metrics for openai.responses")
	}
	if logs := e.logs.String(); !strings.Contains(logs, `"api":"openai.responses"`) || strings.Contains(logs, "hello there") || strings.Contains(logs, "be brief") {
		t.Error("the request log does not name the API, or quotes the prompt")
	}
}

func TestResponsesSDKStreaming(t *testing.T) {
	e := newEnv(t)
	c := e.openaiClient(keyA)
	for _, model := range []string{"gpt", "claude", "azure", "demo"} {
		t.Run(model, func(t *testing.T) {
			var hr *http.Response
			s := c.Responses.NewStreaming(context.Background(), responses.ResponseNewParams{
				Model: model,
				Input: userInput("stream me some words please"),
			}, option.WithResponseInto(&hr))
			got := collect(t, s)
			if !strings.HasSuffix(got.deltas, "stream me some words please") || strings.Count(strings.Join(got.types, " "), "response.output_text.delta") < 4 {
				t.Errorf("streamed %q in %v", got.deltas, got.types)
			}
			if got.types[0] != "response.created" || got.types[1] != "response.in_progress" || got.types[len(got.types)-1] != "response.completed" {
				t.Errorf("events %v", got.types)
			}
			if got.final == nil || got.final.OutputText() != got.deltas || got.final.Usage.TotalTokens == 0 || got.final.Status != "completed" {
				t.Fatalf("final response %+v", got.final)
			}
			if got.accumulated.OutputText() != got.deltas {
				t.Errorf("the SDK accumulated %q, the deltas say %q", got.accumulated.OutputText(), got.deltas)
			}
			id := hr.Header.Get("X-Request-Id")
			req := e.byRequest("inference.request", id)
			res := e.byRequest("inference.response", id)
			if req["api"] != "openai.responses" || req["stream"] != true || res["status"] != float64(200) || res["output_tokens"] == float64(0) {
				t.Errorf("audit entries %v / %v", req, res)
			}
		})
	}
}

func TestResponsesSDKFunctionCalls(t *testing.T) {
	e := newEnv(t)
	c := e.openaiClient(keyA)
	for _, model := range []string{"gpt", "claude"} {
		t.Run(model, func(t *testing.T) {
			question := responses.ResponseInputItemParamOfMessage("weather in Paris", responses.EasyInputMessageRoleUser)
			params := responses.ResponseNewParams{
				Model: model,
				Input: itemsInput(question),
				Tools: []responses.ToolUnionParam{weatherFunction()},
			}
			first, err := c.Responses.New(context.Background(), params)
			if err != nil {
				t.Fatal(err)
			}
			if len(first.Output) != 1 || first.Output[0].Type != "function_call" {
				t.Fatalf("want one function call, got %s", first.RawJSON())
			}
			call := first.Output[0].AsFunctionCall()
			if call.Name != "get_weather" || call.Arguments != `{"query":"weather in Paris"}` || call.CallID == "" || call.Status != "completed" {
				t.Fatalf("function call %+v", call)
			}
			if len(first.Tools) != 1 || first.Tools[0].Name != "get_weather" {
				t.Errorf("tools not repeated: %+v", first.Tools)
			}
			// The client runs the function and sends the whole
			// conversation back: the gateway keeps none of it.
			out := responses.ResponseInputItemParamOfFunctionCallOutput("sunny, 21C")
			out.OfFunctionCallOutput.CallID = openai.String(call.CallID)
			callParam := call.ToParam()
			params.Input = itemsInput(question, responses.ResponseInputItemUnionParam{OfFunctionCall: &callParam}, out)
			second, err := c.Responses.New(context.Background(), params)
			if err != nil {
				t.Fatal(err)
			}
			if second.OutputText() != "tool said: sunny, 21C" {
				t.Errorf("after the function output: %s", second.RawJSON())
			}
			// The same first turn, streamed.
			params.Input = itemsInput(question)
			got := collect(t, c.Responses.NewStreaming(context.Background(), params))
			if got.args != `{"query":"weather in Paris"}` || got.final == nil || got.final.Output[0].AsFunctionCall().Arguments != got.args {
				t.Errorf("streamed arguments %q, final %+v", got.args, got.final)
			}
			if a := got.accumulated.Output; len(a) != 1 || a[0].AsFunctionCall().Name != "get_weather" {
				t.Errorf("accumulated %+v", a)
			}
		})
	}
	// Each upstream got the call and its output in its own protocol.
	an := e.anthropic.Requests()[1].Body
	if !strings.Contains(string(an), `"tool_use"`) || !strings.Contains(string(an), `"tool_result"`) {
		t.Errorf("anthropic upstream second turn: %s", an)
	}
	oa := e.openai.Requests()[1].Body
	if !strings.Contains(string(oa), `"role":"tool"`) || !strings.Contains(string(oa), `"tool_calls"`) {
		t.Errorf("openai upstream second turn: %s", oa)
	}
}

func TestResponsesSDKJSONSchema(t *testing.T) {
	e := newEnv(t)
	c := e.openaiClient(keyA)
	for _, model := range []string{"gpt", "claude"} {
		got, err := c.Responses.New(context.Background(), responses.ResponseNewParams{
			Model: model,
			Input: userInput("json please"),
			Text: responses.ResponseTextConfigParam{
				Format: responses.ResponseFormatTextConfigParamOfJSONSchema("answer", map[string]any{"type": "object"}),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		// The fakes answer {"echo": ...}, or with the forced tool's input.
		var v map[string]string
		if err := json.Unmarshal([]byte(got.OutputText()), &v); err != nil || v["echo"]+v["query"] != "json please" {
			t.Errorf("%s: output is not the JSON asked for: %q", model, got.OutputText())
		}
		if got.Status != "completed" || got.Text.Format.Type != "json_schema" || got.Text.Format.Name != "answer" {
			t.Errorf("%s: status %q format %+v", model, got.Status, got.Text.Format)
		}
	}
	var body map[string]any
	json.Unmarshal(e.anthropic.Requests()[0].Body, &body)
	if tc, _ := body["tool_choice"].(map[string]any); tc["name"] != "json_response" {
		t.Errorf("anthropic upstream was not forced to the JSON tool: %v", body["tool_choice"])
	}
	json.Unmarshal(e.openai.Requests()[0].Body, &body)
	if rf, _ := body["response_format"].(map[string]any); rf["type"] != "json_schema" {
		t.Errorf("openai upstream lost the format: %v", body["response_format"])
	}
}

func TestResponsesSDKErrors(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, key string
		params    responses.ResponseNewParams
		status    int
		code      string
		param     string
	}{
		{"unknown model", keyA, responses.ResponseNewParams{Model: "no-such-model", Input: userInput("hi")}, 404, "model_not_found", "model"},
		{"previous response", keyA, responses.ResponseNewParams{Model: "gpt", Input: userInput("hi"), PreviousResponseID: openai.String("resp_123")}, 400, "", "previous_response_id"},
		{"conversation", keyA, responses.ResponseNewParams{Model: "gpt", Input: userInput("hi"),
			Conversation: responses.ResponseNewParamsConversationUnion{OfString: openai.String("conv_1")}}, 400, "", "conversation"},
		{"background", keyA, responses.ResponseNewParams{Model: "gpt", Input: userInput("hi"), Background: openai.Bool(true)}, 400, "", "background"},
		{"web search", keyA, responses.ResponseNewParams{Model: "gpt", Input: userInput("hi"),
			Tools: []responses.ToolUnionParam{{OfWebSearch: &responses.WebSearchToolParam{Type: responses.WebSearchToolTypeWebSearch}}}}, 400, "", "tools[0].type"},
		{"revoked key", keyRevoked, responses.ResponseNewParams{Model: "gpt", Input: userInput("hi")}, 401, "revoked_api_key", ""},
		{"auditor role", keyAuditor, responses.ResponseNewParams{Model: "gpt", Input: userInput("hi")}, 403, "role_not_allowed", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.openaiClient(tc.key)
			_, err := c.Responses.New(context.Background(), tc.params)
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("want *openai.Error, got %v", err)
			}
			if apiErr.StatusCode != tc.status || apiErr.Code != tc.code || apiErr.Param != tc.param || apiErr.Message == "" {
				t.Errorf("status %d code %q param %q, want %d %q %q: %s", apiErr.StatusCode, apiErr.Code, apiErr.Param, tc.status, tc.code, tc.param, apiErr.Message)
			}
		})
	}
	st, h, b := e.post("/v1/responses", keyA, `{"model":"gpt","input":`)
	if st != 400 || jsonField(t, b, "error.type") != "invalid_request_error" || h.Get("Content-Type") != "application/json" {
		t.Errorf("malformed body: %d %s", st, b)
	}
	if n := e.openai.Count() + e.anthropic.Count(); n != 0 {
		t.Errorf("%d refused requests reached an upstream", n)
	}
	if len(e.entries("inference.request")) != 0 {
		t.Error("a refused request has an inference.request entry")
	}
	refused := 0
	for _, en := range e.entries("inference.response") {
		if en["api"] == "openai.responses" && en["refused"] != nil {
			refused++
		}
	}
	if refused != 7 {
		t.Errorf("%d refusals recorded, want 7 (all but the unauthenticated one)", refused)
	}
	// Stored responses: there are none to get or delete.
	c := e.openaiClient(keyA)
	_, err := c.Responses.Get(context.Background(), "resp_123", responses.ResponseGetParams{})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "response_not_stored" || !strings.Contains(apiErr.Message, "stores no responses") {
		t.Errorf("get: %v", err)
	}
	err = c.Responses.Delete(context.Background(), "resp_123")
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "response_not_stored" {
		t.Errorf("delete: %v", err)
	}
	_, err = c.Responses.Cancel(context.Background(), "resp_123")
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "response_not_stored" {
		t.Errorf("cancel: %v", err)
	}
	if st, _, b := getURL(t, e.srv.URL+"/v1/responses/resp_123/input_items"); st != 401 || jsonField(t, b, "error.type") != "authentication_error" {
		t.Errorf("input items without a key: %d %s", st, b)
	}
	unknown := e.openaiClient("sk-nope")
	err = unknown.Responses.Delete(context.Background(), "resp_123")
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Errorf("delete without a valid key: %v", err)
	}
}

// TestResponsesStreamBreaks checks a stream that breaks after text went
// out: no failing over, an error event and response.failed, and the audit
// entry says why.
func TestResponsesStreamBreaks(t *testing.T) {
	e := newEnv(t)
	e.openai.SetFault(func(int) gatewaytest.Fault { return gatewaytest.Fault{ResetMidStream: true} })
	var hr *http.Response
	c := e.openaiClient(keyA)
	s := c.Responses.NewStreaming(context.Background(), responses.ResponseNewParams{
		Model: "chain", Input: userInput("hi"),
	}, option.WithResponseInto(&hr))
	var types []string
	var failed *responses.ResponseFailedEvent
	var errEvent *responses.ResponseErrorEvent
	for s.Next() {
		ev := s.Current()
		types = append(types, ev.Type)
		switch x := ev.AsAny().(type) {
		case responses.ResponseFailedEvent:
			failed = &x
		case responses.ResponseErrorEvent:
			errEvent = &x
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if errEvent == nil || errEvent.Code != "upstream_stream_broken" || failed == nil || failed.Response.Status != "failed" ||
		failed.Response.Error.Code != "upstream_stream_broken" || failed.Response.OutputText() != "partial " {
		t.Fatalf("events %v, error %+v", types, errEvent)
	}
	if hr.Header.Get("X-Attest-Fallback") != "" || e.openai2.Count() != 0 {
		t.Error("a stream that had sent bytes was failed over")
	}
	res := e.byRequest("inference.response", hr.Header.Get("X-Request-Id"))
	if res["error"] != "upstream_stream_broken" || res["api"] != "openai.responses" {
		t.Errorf("response entry %v", res)
	}
}

// TestResponsesClientDisconnect cancels a stream half way: the upstream
// call is cancelled and the audit entry says so.
func TestResponsesClientDisconnect(t *testing.T) {
	e := newEnv(t)
	e.openai.StreamDelay = 30 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/v1/responses",
		strings.NewReader(`{"model":"gpt","stream":true,"input":"`+strings.Repeat("word ", 200)+`"}`))
	req.Header.Set("Authorization", "Bearer "+keyA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && !strings.Contains(sc.Text(), "response.output_text.delta") {
	}
	cancel()
	resp.Body.Close()
	res := e.byRequest("inference.response", resp.Header.Get("X-Request-Id"))
	if res["cancelled"] != true {
		t.Errorf("response entry %v, want cancelled", res)
	}
	deadline := time.Now().Add(3 * time.Second)
	for e.openai.Cancelled.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the upstream call was not cancelled")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestResponsesStreamSendsHeldEventsInOneWrite checks that the opening
// events and the first delta, held while the gateway could still fail
// over, leave in one flush.
func TestResponsesStreamSendsHeldEventsInOneWrite(t *testing.T) {
	e := newEnv(t)
	e.openai.SetReply(func(_, _ string) []string { return []string{"one ", "two ", "three"} })
	req := httptest.NewRequest(http.MethodPost, "/v1/responses", strings.NewReader(`{"model":"strict","stream":true,"input":"hi"}`))
	req.Header.Set("Authorization", "Bearer "+keyA)
	w := &flushWriter{h: http.Header{}}
	e.gw.Handler().ServeHTTP(w, req)
	if w.code != http.StatusOK || len(w.flushes) == 0 {
		t.Fatalf("status %d, %d flushes", w.code, len(w.flushes))
	}
	if first := w.flushes[0]; !strings.Contains(first, "event: response.created") || !strings.Contains(first, `"delta":"one "`) {
		t.Fatalf("first flush holds %q; want the opening events and the first delta together", first)
	}
	if all := strings.Join(w.flushes, "") + w.buf.String(); !strings.Contains(all, "event: response.completed") {
		t.Fatalf("stream incomplete: %q", all)
	}
}
