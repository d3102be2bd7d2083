package gatewaytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Upstream kinds.
const (
	OpenAI    = "openai"
	Azure     = "azure"
	Anthropic = "anthropic"
)

// Fault is what an upstream does wrong with one request.
type Fault struct {
	// Status answers with this error status and a well-formed error body.
	Status int
	// RetryAfter is sent with Status.
	RetryAfter string
	// Hang waits until the client gives up.
	Hang bool
	// Garbage answers 200 with a body that is not the protocol.
	Garbage bool
	// ResetBeforeHeaders closes the connection with a TCP reset at once.
	ResetBeforeHeaders bool
	// ResetMidStream sends part of the answer, then resets the connection.
	ResetMidStream bool
	// Delay holds every answer back, and each stream event of a slow
	// stream.
	Delay time.Duration
}

// Recorded is one request an upstream received.
type Recorded struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// Upstream is a fake OpenAI, Azure OpenAI or Anthropic API. It answers
// deterministically: the text is "echo: " and the last user message; when
// tools are offered and the last message is not a tool result, it calls
// the first (or the forced) tool.
type Upstream struct {
	*httptest.Server
	Kind string
	// Key is the credential expected; empty accepts any.
	Key atomic.Pointer[string]
	// Version suffix appended to model names in answers.
	Version string
	// StreamDelay is a pause between stream events.
	StreamDelay time.Duration
	// Record keeps every request; off for benchmarks.
	Record bool

	fault   atomic.Pointer[func(n int) Fault]
	reply   atomic.Pointer[func(system, user string) []string]
	count   atomic.Int64
	mu      sync.Mutex
	records []Recorded
	// Cancelled counts requests whose client went away while the upstream
	// was still answering.
	Cancelled atomic.Int64
}

// NewUpstream starts a fake upstream of kind that expects key.
func NewUpstream(kind, key string) *Upstream {
	u := &Upstream{Kind: kind, Version: "-2025-01-01", Record: true}
	u.Key.Store(&key)
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	return u
}

// SetFault makes request n (counted from 1) suffer f(n).
func (u *Upstream) SetFault(f func(n int) Fault) { u.fault.Store(&f) }

// SetReply makes the upstream answer with the text pieces f returns, as
// chunks when streaming, instead of its echo. f sees the request's system
// prompt and last user text. Tool calls are answered as before.
func (u *Upstream) SetReply(f func(system, user string) []string) { u.reply.Store(&f) }

// pieces returns the answer text of a turn and the chunks to stream it in.
func (u *Upstream) pieces(t turn, text, tool string) (string, []string) {
	if rp := u.reply.Load(); rp != nil && tool == "" {
		ps := (*rp)(t.system, t.lastUser)
		return strings.Join(ps, ""), ps
	}
	return text, words(text)
}

// Requests returns the recorded requests.
func (u *Upstream) Requests() []Recorded {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]Recorded(nil), u.records...)
}

// Count returns how many requests arrived.
func (u *Upstream) Count() int { return int(u.count.Load()) }

// BaseURL is what a provider of this kind is configured with.
func (u *Upstream) BaseURL() string {
	if u.Kind == OpenAI {
		return u.URL + "/v1"
	}
	return u.URL
}

func (u *Upstream) serve(w http.ResponseWriter, r *http.Request) {
	n := int(u.count.Add(1))
	body, _ := io.ReadAll(r.Body)
	if u.Record {
		u.mu.Lock()
		u.records = append(u.records, Recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
		u.mu.Unlock()
	}
	if !u.authorized(r) {
		u.error(w, http.StatusUnauthorized, "authentication_error", "invalid x-api-key or bearer token")
		return
	}
	var f Fault
	if fp := u.fault.Load(); fp != nil {
		f = (*fp)(n)
	}
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			u.Cancelled.Add(1)
			return
		}
	}
	switch {
	case f.Hang:
		<-r.Context().Done()
		u.Cancelled.Add(1)
		return
	case f.ResetBeforeHeaders:
		reset(w)
		return
	case f.Status != 0:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		u.error(w, f.Status, "api_error", "injected failure")
		return
	case f.Garbage:
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("<html>502 upstream garbage {{{"))
		return
	}
	if r.Method == http.MethodGet {
		u.listModels(w)
		return
	}
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		u.error(w, http.StatusBadRequest, "invalid_request_error", "body is not JSON")
		return
	}
	model, _ := req["model"].(string)
	if u.Kind == Azure {
		model = azureDeployment(r.URL.Path)
		if r.URL.Query().Get("api-version") == "" {
			u.error(w, http.StatusBadRequest, "invalid_request_error", "api-version query parameter is required")
			return
		}
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/embeddings"):
		u.embeddings(w, req, model)
	case strings.HasSuffix(r.URL.Path, "/chat/completions") && u.Kind != Anthropic:
		u.chat(w, r, req, model, f)
	case r.URL.Path == "/v1/messages" && u.Kind == Anthropic:
		if r.Header.Get("anthropic-version") == "" {
			u.error(w, http.StatusBadRequest, "invalid_request_error", "anthropic-version header is required")
			return
		}
		if _, ok := req["max_tokens"]; !ok {
			u.error(w, http.StatusBadRequest, "invalid_request_error", "max_tokens: Field required")
			return
		}
		u.messages(w, r, req, model, f)
	default:
		u.error(w, http.StatusNotFound, "not_found_error", "no such endpoint")
	}
}

func azureDeployment(path string) string {
	rest, ok := strings.CutPrefix(path, "/openai/deployments/")
	if !ok {
		return ""
	}
	dep, _, _ := strings.Cut(rest, "/")
	return dep
}

func (u *Upstream) authorized(r *http.Request) bool {
	want := *u.Key.Load()
	if want == "" {
		return true
	}
	switch u.Kind {
	case Azure:
		return r.Header.Get("api-key") == want
	case Anthropic:
		return r.Header.Get("x-api-key") == want
	}
	return r.Header.Get("Authorization") == "Bearer "+want
}

func (u *Upstream) error(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if u.Kind == Anthropic {
		json.NewEncoder(w).Encode(map[string]any{"type": "error", "error": map[string]string{"type": typ, "message": msg}})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": nil}})
}

func (u *Upstream) listModels(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"object":"list","data":[{"id":"fake","object":"model","created":0,"owned_by":"fake"}]}`))
}

// reset closes the client connection with a TCP reset.
func reset(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("gatewaytest: response writer cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// turn is the upstream's reading of a conversation.
type turn struct {
	system     string
	lastUser   string
	toolResult string
	tools      []string
	forced     string
	jsonMode   bool
}

func (u *Upstream) read(req map[string]any) turn {
	var t turn
	msgs, _ := req["messages"].([]any)
	for _, m := range msgs {
		mm, _ := m.(map[string]any)
		if r := mm["role"]; r == "system" || r == "developer" {
			s, _ := mm["content"].(string)
			t.system += s
		}
	}
	switch sys := req["system"].(type) {
	case string:
		t.system += sys
	case []any:
		for _, b := range sys {
			bm, _ := b.(map[string]any)
			s, _ := bm["text"].(string)
			t.system += s
		}
	}
	if len(msgs) > 0 {
		last, _ := msgs[len(msgs)-1].(map[string]any)
		role, _ := last["role"].(string)
		switch c := last["content"].(type) {
		case string:
			if role == "tool" {
				t.toolResult = c
			} else {
				t.lastUser = c
			}
		case []any:
			for _, b := range c {
				bm, _ := b.(map[string]any)
				switch bm["type"] {
				case "text":
					s, _ := bm["text"].(string)
					t.lastUser += s
				case "tool_result":
					switch rc := bm["content"].(type) {
					case string:
						t.toolResult += rc
					case []any:
						for _, x := range rc {
							xm, _ := x.(map[string]any)
							s, _ := xm["text"].(string)
							t.toolResult += s
						}
					}
				}
			}
		}
	}
	tools, _ := req["tools"].([]any)
	for _, x := range tools {
		tm, _ := x.(map[string]any)
		if fn, ok := tm["function"].(map[string]any); ok {
			s, _ := fn["name"].(string)
			t.tools = append(t.tools, s)
		} else if s, ok := tm["name"].(string); ok {
			t.tools = append(t.tools, s)
		}
	}
	switch tc := req["tool_choice"].(type) {
	case map[string]any:
		if fn, ok := tc["function"].(map[string]any); ok {
			t.forced, _ = fn["name"].(string)
		} else {
			t.forced, _ = tc["name"].(string)
		}
	}
	if rf, ok := req["response_format"].(map[string]any); ok && rf["type"] != "text" {
		t.jsonMode = true
	}
	// The Messages API's structured outputs, and their beta spelling.
	if oc, ok := req["output_config"].(map[string]any); ok && oc["format"] != nil || req["output_format"] != nil {
		t.jsonMode = true
	}
	return t
}

// answer returns the text or the tool call of a turn.
func (t turn) answer() (text, tool, args string) {
	switch {
	case t.toolResult != "":
		return "tool said: " + t.toolResult, "", ""
	case t.forced != "":
		return "", t.forced, toolArgs(t.lastUser)
	case len(t.tools) > 0:
		return "", t.tools[0], toolArgs(t.lastUser)
	case t.jsonMode:
		b, _ := json.Marshal(map[string]string{"echo": t.lastUser})
		return string(b), "", ""
	}
	return "echo: " + t.lastUser, "", ""
}

func toolArgs(q string) string {
	b, _ := json.Marshal(map[string]string{"query": q})
	return string(b)
}

func words(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexByte(s[1:], ' ')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

func tokens(s string) int { return (len(s) + 3) / 4 }

func (u *Upstream) embeddings(w http.ResponseWriter, req map[string]any, model string) {
	n := 1
	if in, ok := req["input"].([]any); ok {
		n = len(in)
	}
	var data []map[string]any
	for i := 0; i < n; i++ {
		data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": []float64{0.1, 0.2, 0.3}})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": model + u.Version, "usage": map[string]int{"prompt_tokens": 3 * n, "total_tokens": 3 * n}})
}

func (u *Upstream) sleep(r *http.Request) bool {
	if u.StreamDelay == 0 {
		return true
	}
	select {
	case <-time.After(u.StreamDelay):
		return true
	case <-r.Context().Done():
		u.Cancelled.Add(1)
		return false
	}
}

func (u *Upstream) chat(w http.ResponseWriter, r *http.Request, req map[string]any, model string, f Fault) {
	t := u.read(req)
	text, tool, args := t.answer()
	text, pieces := u.pieces(t, text, tool)
	id := fmt.Sprintf("chatcmpl-fake%d", u.count.Load())
	model += u.Version
	in := tokens(fmt.Sprint(req["messages"]))
	out := tokens(text + args)
	finish := "stop"
	if tool != "" {
		finish = "tool_calls"
	}
	if stream, _ := req["stream"].(bool); !stream {
		msg := map[string]any{"role": "assistant", "content": nil, "refusal": nil}
		if tool != "" {
			msg["tool_calls"] = []any{map[string]any{"id": "call_fake1", "type": "function", "function": map[string]any{"name": tool, "arguments": args}}}
		} else {
			msg["content"] = text
		}
		w.Header().Set("Content-Type", "application/json")
		if f.ResetMidStream {
			w.Write([]byte(`{"id":"` + id + `","object":"chat.comp`))
			reset(w)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"id": id, "object": "chat.completion", "created": 1700000000, "model": model, "system_fingerprint": "fp_fake",
			"choices": []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish}},
			"usage":   map[string]int{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out},
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	send := func(delta map[string]any, finish any) {
		c := map[string]any{"id": id, "object": "chat.completion.chunk", "created": 1700000000, "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}}}
		b, _ := json.Marshal(c)
		fmt.Fprintf(w, "data: %s\n\n", b)
		fl.Flush()
	}
	send(map[string]any{"role": "assistant", "content": ""}, nil)
	if f.ResetMidStream {
		send(map[string]any{"content": "partial "}, nil)
		reset(w)
		return
	}
	if tool != "" {
		half := len(args) / 2
		send(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "id": "call_fake1", "type": "function", "function": map[string]any{"name": tool, "arguments": ""}}}}, nil)
		for _, part := range []string{args[:half], args[half:]} {
			if !u.sleep(r) {
				return
			}
			send(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"arguments": part}}}}, nil)
		}
	} else {
		for _, wd := range pieces {
			if !u.sleep(r) {
				return
			}
			send(map[string]any{"content": wd}, nil)
		}
	}
	send(map[string]any{}, finish)
	if so, ok := req["stream_options"].(map[string]any); ok && so["include_usage"] == true {
		b, _ := json.Marshal(map[string]any{"id": id, "object": "chat.completion.chunk", "created": 1700000000, "model": model, "choices": []any{},
			"usage": map[string]int{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out}})
		fmt.Fprintf(w, "data: %s\n\n", b)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	fl.Flush()
}

func (u *Upstream) messages(w http.ResponseWriter, r *http.Request, req map[string]any, model string, f Fault) {
	t := u.read(req)
	text, tool, args := t.answer()
	text, pieces := u.pieces(t, text, tool)
	id := fmt.Sprintf("msg_fake%d", u.count.Load())
	model += u.Version
	in := tokens(fmt.Sprint(req["messages"]))
	out := tokens(text + args)
	stop := "end_turn"
	if tool != "" {
		stop = "tool_use"
	}
	if stream, _ := req["stream"].(bool); !stream {
		var content []any
		if tool != "" {
			var input map[string]any
			json.Unmarshal([]byte(args), &input)
			content = append(content, map[string]any{"type": "tool_use", "id": "toolu_fake1", "name": tool, "input": input})
		} else {
			content = append(content, map[string]any{"type": "text", "text": text})
		}
		w.Header().Set("Content-Type", "application/json")
		if f.ResetMidStream {
			w.Write([]byte(`{"id":"` + id + `","type":"mess`))
			reset(w)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"id": id, "type": "message", "role": "assistant", "model": model, "content": content,
			"stop_reason": stop, "stop_sequence": nil, "usage": map[string]int{"input_tokens": in, "output_tokens": out},
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	send := func(name string, v map[string]any) {
		v["type"] = name
		b, _ := json.Marshal(v)
		var buf bytes.Buffer
		fmt.Fprintf(&buf, "event: %s\ndata: %s\n\n", name, b)
		w.Write(buf.Bytes())
		fl.Flush()
	}
	send("message_start", map[string]any{"message": map[string]any{"id": id, "type": "message", "role": "assistant", "model": model, "content": []any{},
		"stop_reason": nil, "stop_sequence": nil, "usage": map[string]int{"input_tokens": in, "output_tokens": 1}}})
	if f.ResetMidStream {
		send("content_block_start", map[string]any{"index": 0, "content_block": map[string]any{"type": "text", "text": ""}})
		reset(w)
		return
	}
	send("ping", map[string]any{})
	if tool != "" {
		send("content_block_start", map[string]any{"index": 0, "content_block": map[string]any{"type": "tool_use", "id": "toolu_fake1", "name": tool, "input": map[string]any{}}})
		half := len(args) / 2
		for _, part := range []string{args[:half], args[half:]} {
			if !u.sleep(r) {
				return
			}
			send("content_block_delta", map[string]any{"index": 0, "delta": map[string]any{"type": "input_json_delta", "partial_json": part}})
		}
	} else {
		send("content_block_start", map[string]any{"index": 0, "content_block": map[string]any{"type": "text", "text": ""}})
		for _, wd := range pieces {
			if !u.sleep(r) {
				return
			}
			send("content_block_delta", map[string]any{"index": 0, "delta": map[string]any{"type": "text_delta", "text": wd}})
		}
	}
	send("content_block_stop", map[string]any{"index": 0})
	send("message_delta", map[string]any{"delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}, "usage": map[string]int{"output_tokens": out}})
	send("message_stop", map[string]any{})
}
