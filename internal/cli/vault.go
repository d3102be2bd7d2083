package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/vault"
)

func init() {
	Register("vault", "rotate the master key that wraps per-subject data keys", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return sub(ctx, "vault", map[string]Func{"rotate": vaultRotate}, args, stdout, stderr)
	})
}

// vaultRotate re-wraps every data key under the current master key (the
// first of ATTEST_MASTER_KEY or master.key). Payloads are not re-encrypted.
func vaultRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, _, err := loadConfig("vault rotate", args, stderr, nil)
	if err != nil {
		return err
	}
	wrap, err := vault.LoadMasterKeys(c.DataDir, os.Getenv("ATTEST_MASTER_KEY"))
	if err != nil {
		return err
	}
	a, err := openApp(ctx, c, app.NewLogger(c, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.Vault.Rotate(ctx, wrap.Current())
	if err != nil {
		return fmt.Errorf("rotation stopped after %d keys (run it again to finish): %w", n, err)
	}
	fmt.Fprintf(stdout, "re-wrapped %d data keys under master key %s; keep the old key configured until every replica has restarted, then remove it\n", n, wrap.Current())
	return nil
}
