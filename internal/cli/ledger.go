package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/ledger"
)

func init() {
	Register("ledger", "inspect, verify and export the evidence ledger", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return sub(ctx, "ledger", map[string]Func{
			"key":        ledgerKey,
			"verify":     ledgerVerify,
			"export":     ledgerExport,
			"checkpoint": ledgerCheckpoint,
		}, args, stdout, stderr)
	})
}

func ledgerKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, _, err := loadConfig("ledger key", args, stderr, nil)
	if err != nil {
		return err
	}
	kp, err := app.LedgerKey(c)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, kp.VerifierKey)
	return nil
}

// openStore opens only the store, for commands that must not change state.
func openStore(ctx context.Context, c config.Config) (app.Store, error) {
	if c.Database == "" {
		if _, err := os.Stat(c.DataDir); err != nil {
			return nil, fmt.Errorf("no data directory at %s: start 'attest serve' first or pass --data DIR", c.DataDir)
		}
	}
	return app.OpenStore(ctx, c)
}

func ledgerVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var bundle, key string
	c, _, err := loadConfig("ledger verify", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&bundle, "bundle", "", "verify an exported bundle `dir` offline instead of the store")
		fs.StringVar(&key, "key", "", "verifier `key` (name+hash+base64) received out of band; default: the data directory's key, or the bundle's key.pub")
	})
	if err != nil {
		return err
	}
	var src ledger.Source
	if bundle != "" {
		b, err := ledger.OpenBundle(bundle)
		if err != nil {
			return err
		}
		if key == "" {
			if key, err = b.BundleKey(); err != nil {
				return errors.New("the bundle has no key.pub; pass --key with the verifier key you received out of band")
			}
			fmt.Fprintln(stderr, "note: using the key shipped inside the bundle; pass --key with the key you received out of band for an independent check")
		}
		src = b
	} else {
		st, err := openStore(ctx, c)
		if err != nil {
			return err
		}
		defer st.Close()
		if key == "" {
			kp, err := app.LedgerKey(c)
			if err != nil {
				return err
			}
			key = kp.VerifierKey
		}
		src = ledger.StoreSource{Store: st}
	}
	rep, err := ledger.Verify(ctx, src, key, progressBar(stderr, "verifying"))
	if err != nil {
		var te *ledger.TamperError
		if errors.As(err, &te) {
			return fmt.Errorf("%w\nthe ledger is not intact from index %d on; keep this copy for investigation and restore from a verified backup or export", err, te.Index)
		}
		return err
	}
	fmt.Fprintf(stdout, "ok: %d entries, %d signed checkpoints verified; root %x\n", rep.Size, rep.Checkpoints, rep.Root[:])
	return nil
}

func ledgerExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var out string
	c, _, err := loadConfig("ledger export", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "bundle `dir` to write (must not exist or be empty)")
	})
	if err != nil {
		return err
	}
	if out == "" {
		return usagef("--out DIR is required")
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	kp, err := app.LedgerKey(c)
	if err != nil {
		return err
	}
	cp, err := ledger.Export(ctx, st, kp.VerifierKey, out, progressBar(stderr, "exporting"))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %d entries to %s\nverify offline with: attest ledger verify --bundle %s --key %s\n", cp.Size, out, out, kp.VerifierKey)
	return nil
}

func ledgerCheckpoint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, _, err := loadConfig("ledger checkpoint", args, stderr, nil)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, c, app.NewLogger(c, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	cp, err := a.Signer.Publish(ctx)
	if err != nil {
		return err
	}
	stdout.Write(cp.Note)
	return nil
}
