package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/store/sqlite"
)

type guardBody struct {
	PII       int     `json:"pii"`
	Injection float64 `json:"injection"`
}

// responseBody is shaped like the gateway's inference.response evidence.
type responseBody struct {
	Status           int       `json:"status"`
	LatencyUS        int       `json:"latency_us"`
	Provider         string    `json:"provider"`
	Model            string    `json:"model"`
	ModelVersion     string    `json:"model_version"`
	PromptTokens     int       `json:"prompt_tokens"`
	CompletionTokens int       `json:"completion_tokens"`
	Fallback         bool      `json:"fallback"`
	Guard            guardBody `json:"guard"`
	RequestMAC       string    `json:"request_mac"`
	RequestID        string    `json:"request_id"`
}

var mac = strings.Repeat("ab", 32)

// event400 is a realistic event of about 400 canonical bytes.
func event400(i int) ledger.Event {
	return ledger.MustEvent("inference.response", "tenant-a", ledger.Actor{Kind: ledger.ActorService, ID: "gateway"},
		responseBody{Status: 200, LatencyUS: 1234 + i%1000, Provider: "openai", Model: "gpt-4o-mini", ModelVersion: "2024-07-18",
			PromptTokens: 512, CompletionTokens: 128, Guard: guardBody{Injection: 0.01}, RequestMAC: mac, RequestID: fmt.Sprintf("req-%012d", i)},
		ledger.Ref{Kind: "key", ID: "k_" + fmt.Sprint(i%64)})
}

// BenchmarkAppendDurable measures durable appends (the call returned an
// index) with N concurrent writers on the SQLite store.
func BenchmarkAppendDurable(b *testing.B) {
	for _, writers := range []int{64, 512} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			st, err := sqlite.Open(context.Background(), b.TempDir(), sqlite.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			l, err := ledger.Open(context.Background(), st, ledger.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			benchAppend(b, l, writers)
		})
	}
}

func benchAppend(b *testing.B, l *ledger.Log, writers int) {
	ctx := context.Background()
	var next atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > b.N {
					return
				}
				if _, err := l.Append(ctx, event400(i)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
