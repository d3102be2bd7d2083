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
func BenchmarkCheckRequest4KB(b *testing.B) { benchCheckRequest(b, DefaultPolicy()) }

// BenchmarkCheckRequest4KBGuardsOff is the same call with every guard
// off: what the engine itself costs, measured in the same run.
func BenchmarkCheckRequest4KBGuardsOff(b *testing.B) { benchCheckRequest(b, Policy{}) }

func benchCheckRequest(b *testing.B, p Policy) {
	prompts := shareddata.Chunks(shareddata.BenignEnglish(b), 4096)
	prompts = prompts[:len(prompts)-1]
	e, err := New(p)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	parts := func(i int) []Part {
		return []Part{{Role: "system", Text: "You are a helpful assistant."}, {Role: "user", Text: prompts[i%len(prompts)]}}
	}
	e.CheckRequest(ctx, parts(0)) // load the models outside the timing
	times := make([]time.Duration, 0, 1<<16)
	i := 0
	b.ReportAllocs()
	cpu := shareddata.StartCPU()
	for b.Loop() {
		start := time.Now()
		e.CheckRequest(ctx, parts(i))
		times = append(times, time.Since(start))
		i++
	}
	cpu.Report(b, 0)
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*99/100]), "p99-ns")
}
