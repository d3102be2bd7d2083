package pii

import (
	"regexp"
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

// The baselines measure, over the same text and in the same run, what the
// scanner is compared with in BENCHMARKS.md: one regular expression for
// e-mail addresses, and a plain byte search. On a shared machine their
// times move with the load as the scanner's do, so the ratios hold better
// than the absolute figures.
var baselineEmail = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}`)

func BenchmarkBaselineRegexp(b *testing.B) {
	text := strings.Join(shareddata.BenignEnglish(b), "\n\n")
	b.SetBytes(int64(len(text)))
	cpu := shareddata.StartCPU()
	for b.Loop() {
		baselineEmail.FindAllStringIndex(text, -1)
	}
	cpu.Report(b, int64(len(text)))
}

func BenchmarkBaselineIndex(b *testing.B) {
	text := strings.Join(shareddata.BenignEnglish(b), "\n\n")
	b.SetBytes(int64(len(text)))
	cpu := shareddata.StartCPU()
	for b.Loop() {
		strings.Index(text, "-----BEGIN RSA PRIVATE KEY-----")
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

// BenchmarkScan4KB scans prompts of 4 KB, the size the gateway figure is
// given for.
func BenchmarkScan4KB(b *testing.B) {
	prompts := shareddata.Chunks(shareddata.BenignEnglish(b), 4096)
	prompts = prompts[:len(prompts)-1]
	allScanner.Scan(prompts[0])
	b.SetBytes(4096)
	cpu := shareddata.StartCPU()
	i := 0
	for b.Loop() {
		allScanner.Scan(prompts[i%len(prompts)])
		i++
	}
	cpu.Report(b, 4096)
}
