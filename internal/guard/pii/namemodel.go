package pii

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/attest-ai/attest/internal/guard/linear"
)

// The PERSON and LOCATION model is trained from the presidio-research
// synthetic set with one command, run from the repository root:
//
//	go run ./internal/guard/pii/train -data ../shared/data/pii/dev.json -out internal/guard/pii/names.bin
//
// The trainer rewrites names_digest.go with the SHA-256 of the new file;
// the scanner refuses a model whose digest does not match.
//
//go:embed names.bin
var nameModelFile []byte

// NameModelFile returns a copy of the embedded model file, whose SHA-256
// is NameModelSHA256, so that it can be signed and registered as a model
// version.
func NameModelFile() []byte { return bytes.Clone(nameModelFile) }

// NameModel returns the embedded name model after checking its digest.
var NameModel = sync.OnceValues(func() (*linear.Model, error) {
	m, err := linear.Load(nameModelFile, NameModelSHA256)
	if err != nil {
		return nil, fmt.Errorf("load embedded PERSON/LOCATION model: %w", err)
	}
	if m.Classes != nameClasses {
		return nil, fmt.Errorf("load embedded PERSON/LOCATION model: %d classes, want %d; retrain it", m.Classes, nameClasses)
	}
	return m, nil
})
