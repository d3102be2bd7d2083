package norm

import (
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/guard/internal/shareddata"
)

// BenchmarkFoldEnglish folds the benign English prompts of the development
// set (about 100 KB with some curly quotes and Chinese).
func BenchmarkFoldEnglish(b *testing.B) {
	text := strings.Join(shareddata.BenignEnglish(b), "\n\n")
	Fold(text)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		Fold(text)
	}
}
