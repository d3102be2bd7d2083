package injection

import (
	"testing"

	"github.com/attest-ai/attest/internal/guard/internal/shareddata"
)

// BenchmarkScore1KB measures screening one 1 KB prompt cut from the benign
// English prompts of the development set; ns/op is per prompt.
func BenchmarkScore1KB(b *testing.B) {
	prompts := shareddata.Chunks(shareddata.BenignEnglish(b), 1024)
	prompts = prompts[:len(prompts)-1] // the last piece is short
	d, err := New()
	if err != nil {
		b.Fatal(err)
	}
	d.Score(prompts[0]) // load the tables outside the timing
	b.ReportAllocs()
	cpu := shareddata.StartCPU()
	i := 0
	for b.Loop() {
		d.Score(prompts[i%len(prompts)])
		i++
	}
	cpu.Report(b, 0)
}
