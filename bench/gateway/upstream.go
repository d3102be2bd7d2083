package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
)

// runUpstream serves a minimal OpenAI-compatible chat endpoint with
// pre-encoded answers, so the upstream's own cost is small and equal for
// every path measured.
func runUpstream(args []string) error {
	fs := flag.NewFlagSet("upstream", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:18001", "listen address")
	delay := fs.Duration("delay", 0, "time before answering, as a model would take")
	chunks := fs.Int("chunks", 8, "stream chunks per answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	answer := []byte(`{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"This is a fixed benchmark answer of a few words.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":256,"completion_tokens":12,"total_tokens":268}}`)
	chunk := func(delta, finish string) []byte {
		return []byte(`data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[{"index":0,"delta":` + delta + `,"logprobs":null,"finish_reason":` + finish + `}]}` + "\n\n")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if *delay > 0 {
			time.Sleep(*delay)
		}
		if !bytes.Contains(body, []byte(`"stream":true`)) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
			w.Write(answer)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		w.Write(chunk(`{"role":"assistant","content":""}`, "null"))
		fl.Flush()
		for i := 0; i < *chunks; i++ {
			w.Write(chunk(`{"content":"word `+strconv.Itoa(i)+` "}`, "null"))
			fl.Flush()
		}
		w.Write(chunk(`{}`, `"stop"`))
		w.Write([]byte(`data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"bench-model","choices":[],"usage":{"prompt_tokens":256,"completion_tokens":12,"total_tokens":268}}` + "\n\ndata: [DONE]\n\n"))
		fl.Flush()
	})
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"object":"list","data":[{"id":"bench-model","object":"model"}]}`))
	})
	fmt.Fprintf(os.Stderr, "upstream listening on %s (delay %v)\n", *addr, *delay)
	return (&http.Server{Addr: *addr, Handler: mux}).ListenAndServe()
}
