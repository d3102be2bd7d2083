package app_test

import (
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/ledger"
)

// TestOpenRefusesForeignLedgerKey checks that a process whose signing key
// did not sign the store's checkpoints is refused before it can publish
// one, as happens to a replica started without ATTEST_LEDGER_KEY, while
// the key that did sign them is accepted.
func TestOpenRefusesForeignLedgerKey(t *testing.T) {
	ctx := context.Background()
	c := config.Default()
	c.DataDir = t.TempDir()
	a, err := app.Open(ctx, c, app.NewLogger(c, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Signer.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	a.Close()

	other, _, err := note.GenerateKey(rand.Reader, "other/attest")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ATTEST_LEDGER_KEY", other)
	if a, err := app.Open(ctx, c, app.NewLogger(c, io.Discard)); err == nil {
		a.Close()
		t.Fatal("opened the store with a key that did not sign its checkpoints")
	} else if !strings.Contains(err.Error(), "ATTEST_LEDGER_KEY") {
		t.Fatalf("error does not say what to do: %v", err)
	}

	own, err := os.ReadFile(filepath.Join(c.DataDir, ledger.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ATTEST_LEDGER_KEY", string(own))
	a, err = app.Open(ctx, c, app.NewLogger(c, io.Discard))
	if err != nil {
		t.Fatalf("the key that signed the checkpoints was refused: %v", err)
	}
	a.Close()
}
