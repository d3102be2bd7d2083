package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/cmdline"
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
	env := os.Getenv("ATTEST_MASTER_KEY")
	wrap, err := vault.LoadMasterKeys(c.DataDir, env)
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
		return fmt.Errorf("rotation stopped after %s (run it again to finish): %w", cmdline.Count(n, "data key"), err)
	}
	fmt.Fprintln(stdout, rotateMessage(n, wrap.Current(), wrap.Keys(), masterKeySource(c.DataDir, env)))
	return nil
}

// masterKeySource names where the master keys were read from.
func masterKeySource(dataDir, env string) string {
	if env != "" {
		return "ATTEST_MASTER_KEY"
	}
	return filepath.Join(dataDir, vault.MasterKeyFile)
}

// rotateMessage reports a rotation and what to do next, which depends on
// whether older master keys are configured.
func rotateMessage(n int, current string, keys int, source string) string {
	if keys == 1 {
		return fmt.Sprintf("re-wrapped %s: master key %s is the only one configured, so every data key is already under it; "+
			"to rotate, put a new key first in %s with this one after it, and run 'attest vault rotate' again", cmdline.Count(n, "data key"), current, source)
	}
	old, it := "the older key", "it"
	if keys > 2 {
		old, it = "the older keys", "them"
	}
	return fmt.Sprintf("re-wrapped %s under master key %s; keep %s in %s until every replica has restarted, then remove %s",
		cmdline.Count(n, "data key"), current, old, source, it)
}
