package main

import (
	"os"

	"github.com/attest-ai/attest/internal/vendor/internal/pdfgen"
)

func main() {
	pages := []string{"Encrypted fixture page one\nSOC 2 Type 2 report for Example Corp", "Page two: No exceptions noted.\tCC6.1\tDone"}
	os.WriteFile(os.Args[1], pdfgen.Build(pages, pdfgen.Options{Compress: true}), 0o644)
}
