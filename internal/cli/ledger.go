package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/cmdline"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/witness"
	"golang.org/x/mod/sumdb/note"
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
	if os.Getenv("ATTEST_LEDGER_KEY") == "" {
		// Without this, a mistyped --data would print a new log's key.
		if err := requireData(c); err != nil {
			return err
		}
	}
	kp, err := app.LedgerKey(c)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, kp.VerifierKey)
	return nil
}

// requireData refuses a missing data directory of the embedded store, so a
// mistyped --data, or a command run from another directory, names the
// problem instead of starting a new, empty instance.
func requireData(c config.Config) error {
	if c.Database == "" {
		if _, err := os.Stat(c.DataDir); err != nil {
			return fmt.Errorf("no data directory at %s: start 'attest serve' first or pass --data DIR", c.DataDir)
		}
	}
	return nil
}

// openStore opens only the store, for commands that must not change state.
func openStore(ctx context.Context, c config.Config) (app.Store, error) {
	if err := requireData(c); err != nil {
		return nil, err
	}
	return app.OpenStore(ctx, c)
}

// openApp opens the whole app for a command other than serve. It refuses a
// missing data directory: acting on a new, empty instance would, say, report
// an erasure as completed for a subject that instance never held.
func openApp(ctx context.Context, c config.Config, logger *slog.Logger) (*app.App, error) {
	if err := requireData(c); err != nil {
		return nil, err
	}
	return app.Open(ctx, c, logger)
}

func ledgerVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var bundle, key string
	var witnesses listFlag
	var quorum int
	c, _, err := loadConfig("ledger verify", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&bundle, "bundle", "", "verify an exported bundle `dir` offline instead of the store")
		fs.StringVar(&key, "key", "", "verifier `key` (name+hash+base64) received out of band; default: the data directory's key, or the bundle's key.pub")
		fs.Var(&witnesses, "witness", "also require a cosignature of the newest checkpoint by the witness with this verifier `key` (repeatable)")
		fs.IntVar(&quorum, "witness-quorum", 0, "how many of the --witness keys must have cosigned the newest checkpoint (default 1)")
	})
	if err != nil {
		return err
	}
	if key != "" {
		if _, err := note.NewVerifier(key); err != nil {
			return usagef("--key %q: not a verifier key of the form name+hash+base64 (%v); pass the key 'attest ledger key' prints on the log's host", key, err)
		}
	}
	ws, err := witnessPolicy(witnesses, &quorum)
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
			// Verifying must never create a key: without one here, a new
			// key would be written and the log would fail against it.
			if _, err := os.Stat(filepath.Join(c.DataDir, ledger.KeyFile)); err != nil && os.Getenv("ATTEST_LEDGER_KEY") == "" {
				return usagef("no ledger key in %s: pass --key with the verifier key ('attest ledger key' prints it where the log runs), or set ATTEST_LEDGER_KEY", c.DataDir)
			}
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
	fmt.Fprintf(stdout, "ok: %s, %s verified; root %x\n", cmdline.Count(rep.Size, "entry"), cmdline.Count(rep.Checkpoints, "signed checkpoint"), rep.Root[:])
	if len(ws) == 0 {
		return nil
	}
	if rep.Newest == nil {
		return errors.New("there is no signed checkpoint whose cosignatures could be checked; publish one with 'attest ledger checkpoint'")
	}
	size, _, _ := ledger.OpenCheckpoint(rep.Newest, key)
	n, err := witness.Count(rep.Newest, key, ws)
	if err != nil {
		return fmt.Errorf("the newest checkpoint (size %d) is malformed: %w; keep this copy for investigation", size, err)
	}
	if n < quorum {
		return fmt.Errorf("the newest checkpoint (size %d) carries %d of the %d witness cosignatures required, so no quorum of witnesses vouches that others were shown this same history; ask the log's operator whether ledger.witnesses is configured and the witnesses are reachable", size, n, quorum)
	}
	fmt.Fprintf(stdout, "witnessed: %d of %d witnesses cosigned the newest checkpoint (size %d; quorum %d)\n", n, len(ws), size, quorum)
	return nil
}

// witnessPolicy parses the --witness keys and settles the quorum: 1 by
// default, and at most the number of keys.
func witnessPolicy(keys []string, quorum *int) ([]note.Verifier, error) {
	if len(keys) == 0 {
		if *quorum != 0 {
			return nil, usagef("--witness-quorum needs --witness keys to count")
		}
		return nil, nil
	}
	ws, err := witness.ParseKeys(keys)
	if err != nil {
		return nil, usagef("--witness: %v; pass the verifier key the witness's operator published", err)
	}
	if *quorum == 0 {
		*quorum = 1
	}
	if *quorum < 1 || *quorum > len(ws) {
		return nil, usagef("--witness-quorum %d: use a number from 1 to %d, the number of --witness keys", *quorum, len(ws))
	}
	return ws, nil
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
	fmt.Fprintf(stdout, "exported %s to %s\nverify offline with: attest ledger verify --bundle %s --key %s\n", cmdline.Count(cp.Size, "entry"), out, out, kp.VerifierKey)
	return nil
}

func ledgerCheckpoint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, _, err := loadConfig("ledger checkpoint", args, stderr, nil)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, c, app.NewLogger(c, stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	cp, err := a.Signer.Publish(ctx)
	if err != nil {
		return err
	}
	if a.Witnesses != nil {
		// Wait for the witnesses here, so the note printed carries their
		// cosignatures; one that fails is logged and skipped.
		missing, err := a.Witnesses.Cosign(ctx)
		if err != nil {
			return err
		}
		if missing > 0 {
			fmt.Fprintf(stderr, "note: %d of %d witnesses have not cosigned this checkpoint; the log lines above say why\n", missing, len(c.Ledger.Witnesses))
		}
		if cp, err = a.Store.LatestCheckpoint(ctx); err != nil {
			return err
		}
	}
	stdout.Write(cp.Note)
	return nil
}
