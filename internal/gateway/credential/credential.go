// Package credential loads provider API keys from an environment variable,
// a file or a HashiCorp Vault KV v2 secret, and re-reads them so keys can
// be rotated without a restart. Secrets never appear in errors or logs.
package credential

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Secret is one fetched credential. Version is the source's own version
// label where it has one (Vault's metadata version); it is not secret.
type Secret struct {
	Value   string
	Version string
}

// Source fetches the current value of a credential.
type Source interface {
	// Kind is env, file or vault.
	Kind() string
	Fetch(ctx context.Context) (Secret, error)
}

// ErrEmpty reports a source that holds no value.
var ErrEmpty = errors.New("credential is empty")

// Env reads an environment variable.
type Env struct{ Name string }

// Kind implements Source.
func (Env) Kind() string { return "env" }

// Fetch implements Source.
func (e Env) Fetch(context.Context) (Secret, error) {
	v := strings.TrimSpace(os.Getenv(e.Name))
	if v == "" {
		return Secret{}, fmt.Errorf("environment variable %s: %w; export it before starting", e.Name, ErrEmpty)
	}
	return Secret{Value: v}, nil
}

// File reads a file, such as a mounted Kubernetes secret; surrounding
// white space is dropped.
type File struct{ Path string }

// Kind implements Source.
func (File) Kind() string { return "file" }

// Fetch implements Source.
func (f File) Fetch(context.Context) (Secret, error) {
	b, err := os.ReadFile(f.Path)
	if err != nil {
		// The error names the path, never the content.
		return Secret{}, fmt.Errorf("read credential file: %w", err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return Secret{}, fmt.Errorf("credential file %s: %w", f.Path, ErrEmpty)
	}
	return Secret{Value: v}, nil
}

var (
	_ Source = Env{}
	_ Source = File{}
)
