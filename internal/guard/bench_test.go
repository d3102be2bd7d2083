package guard

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/guard/internal/shareddata"
)

// BenchmarkCheckRequest4KB measures the whole request check with every
// guard on for 4 KB prompts and reports the 99th percentile as p99-ns.
func BenchmarkCheckRequest4KB(b *testing.B) {
	prompts := shareddata.Chunks(shareddata.BenignEnglish(b), 4096)
	prompts = prompts[:len(prompts)-1]
	e, err := New(DefaultPolicy())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var times []time.Duration
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		e.CheckRequest(ctx, []Part{{Role: "system", Text: "You are a helpful assistant."}, {Role: "user", Text: prompts[i%len(prompts)]}})
		times = append(times, time.Since(start))
		i++
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*99/100]), "p99-ns")
}
