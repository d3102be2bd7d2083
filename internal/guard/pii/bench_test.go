package pii

import (
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/guard/internal/shareddata"
)

// BenchmarkScanEnglish measures scanning typical English prompts (the
// benign English prompts of the development set, about 100 KB) for every
// entity type. MB/s is per core.
func BenchmarkScanEnglish(b *testing.B) {
	text := strings.Join(shareddata.BenignEnglish(b), "\n\n")
	allScanner.Scan(text) // build the gazetteer outside the timing
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	cpu := shareddata.StartCPU()
	for b.Loop() {
		allScanner.Scan(text)
	}
	cpu.Report(b, int64(len(text)))
}

// BenchmarkScanEnglishRegexOnly leaves out PERSON, LOCATION and ADDRESS.
func BenchmarkScanEnglishRegexOnly(b *testing.B) {
	text := strings.Join(shareddata.BenignEnglish(b), "\n\n")
	var types []Type
	for _, t := range allTypes {
		if !nameType(t) && t != Address {
			types = append(types, t)
		}
	}
	s := MustScanner(Options{Types: types})
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		s.Scan(text)
	}
}

// BenchmarkStreamEnglish measures redaction of the same text arriving in
// 64-byte chunks.
func BenchmarkStreamEnglish(b *testing.B) {
	text := strings.Join(shareddata.BenignEnglish(b), "\n\n")
	g, err := NewGuard(DefaultPolicy())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		s := g.Redactor().Stream(false)
		for i := 0; i < len(text); i += 64 {
			s.Write(text[i:min(len(text), i+64)])
		}
		s.Flush()
	}
}
