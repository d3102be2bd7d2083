package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

// result is one load run's figures, in microseconds.
type result struct {
	Target      string  `json:"target"`
	Stream      bool    `json:"stream"`
	Rate        int     `json:"rate"`
	Sent        int64   `json:"sent"`
	OK          int64   `json:"ok"`
	Errors      int64   `json:"errors"`
	Late        int64   `json:"late"`
	AchievedRPS float64 `json:"achieved_rps"`
	P50         float64 `json:"p50_us"`
	P90         float64 `json:"p90_us"`
	P99         float64 `json:"p99_us"`
	P999        float64 `json:"p999_us"`
	Max         float64 `json:"max_us"`
	TTFT50      float64 `json:"ttft_p50_us,omitempty"`
	TTFT99      float64 `json:"ttft_p99_us,omitempty"`
}

// runLoad sends requests open-loop at a fixed rate: each request starts on
// its schedule whether or not earlier ones have finished, so a slow server
// cannot slow the generator down and hide its own queueing.
func runLoad(args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	target := fs.String("name", "target", "name of the target in the output")
	url := fs.String("url", "http://127.0.0.1:18002/v1/chat/completions", "endpoint")
	rate := fs.Int("rate", 1000, "requests a second")
	dur := fs.Duration("duration", 10*time.Second, "measured time")
	warm := fs.Duration("warmup", 2*time.Second, "unmeasured time before")
	size := fs.Int("body-bytes", 1024, "request body size")
	model := fs.String("model", "bench", "model in the request")
	stream := fs.Bool("stream", false, "ask for a streamed answer and measure time to first token")
	var hs headers
	fs.Var(&hs, "header", "request header as 'Name: value' (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	body := requestBody(*model, *size, *stream)
	tr := &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: time.Minute, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var lat, ttft hist
	var sent, ok, errs, late atomic.Int64
	var measuring atomic.Bool
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(*rate)
	total := int((*warm + *dur) / interval)
	warmN := int(*warm / interval)
	start := time.Now()
	var measureStart, measureEnd time.Time
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		} else if -d > time.Millisecond {
			late.Add(1)
		}
		if i == warmN {
			measuring.Store(true)
			measureStart = time.Now()
			late.Store(0)
		}
		wg.Add(1)
		go func(measure bool) {
			defer wg.Done()
			t0 := time.Now()
			first, err := send(client, *url, body, hs, *stream)
			if !measure {
				return
			}
			sent.Add(1)
			if err != nil {
				errs.Add(1)
				return
			}
			ok.Add(1)
			lat.record(int64(time.Since(t0)))
			if *stream {
				ttft.record(int64(first.Sub(t0)))
			}
		}(measuring.Load())
	}
	measureEnd = time.Now()
	wg.Wait()
	us := func(ns int64) float64 { return float64(ns) / 1000 }
	r := result{Target: *target, Stream: *stream, Rate: *rate, Sent: sent.Load(), OK: ok.Load(), Errors: errs.Load(), Late: late.Load(),
		AchievedRPS: float64(ok.Load()) / measureEnd.Sub(measureStart).Seconds(),
		P50:         us(lat.quantile(0.5)), P90: us(lat.quantile(0.9)), P99: us(lat.quantile(0.99)), P999: us(lat.quantile(0.999)), Max: us(lat.max)}
	if *stream {
		r.TTFT50, r.TTFT99 = us(ttft.quantile(0.5)), us(ttft.quantile(0.99))
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// requestBody builds a chat request of about size bytes.
func requestBody(model string, size int, stream bool) []byte {
	head := `{"model":"` + model + `","stream":` + fmt.Sprint(stream) + `,"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"`
	tail := `"}]}`
	pad := size - len(head) - len(tail)
	words := "Please summarise the quarterly report in three short bullet points for the board. "
	var b strings.Builder
	for b.Len() < pad {
		b.WriteString(words)
	}
	return []byte(head + b.String()[:max(pad, 0)] + tail)
}

// send makes one request and returns when the first streamed content
// arrived (for streams) once the whole answer is read.
func send(c *http.Client, url string, body []byte, hs headers, stream bool) (time.Time, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return time.Time{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for _, h := range hs {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := c.Do(req)
	if err != nil {
		return time.Time{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return time.Time{}, fmt.Errorf("status %d", resp.StatusCode)
	}
	if !stream {
		_, err := io.Copy(io.Discard, resp.Body)
		return time.Time{}, err
	}
	var first time.Time
	br := bufio.NewReader(resp.Body)
	done := false
	for {
		line, err := br.ReadSlice('\n')
		if first.IsZero() && bytes.Contains(line, []byte(`"content":"word`)) {
			first = time.Now()
		}
		if bytes.HasPrefix(line, []byte("data: [DONE]")) {
			done = true
		}
		if err == io.EOF {
			break
		}
		if err != nil && err != bufio.ErrBufferFull {
			return first, err
		}
	}
	if first.IsZero() || !done {
		return first, fmt.Errorf("stream ended without content or [DONE]")
	}
	return first, nil
}
