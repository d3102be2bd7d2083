package cli

import (
	"context"
	"io"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/audit"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/console"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
)

func init() {
	// controls cannot import app (app imports web, which mounts controls),
	// so the CLI supplies how to open what it needs.
	controls.Open = func(ctx context.Context, c config.Config) (*controls.Env, error) {
		st, err := openStore(ctx, c)
		if err != nil {
			return nil, err
		}
		kp, err := app.LedgerKey(c)
		if err != nil {
			st.Close()
			return nil, err
		}
		if err := app.CheckLedgerKey(ctx, st, kp); err != nil {
			st.Close()
			return nil, err
		}
		comps, err := app.ComponentSource(c, st)
		if err != nil {
			st.Close()
			return nil, err
		}
		l, err := ledger.Open(ctx, st, ledger.Options{Logger: app.NewLogger(c, io.Discard)})
		if err != nil {
			st.Close()
			return nil, err
		}
		s := ledger.NewSigner(l, kp.Signer)
		return &controls.Env{Ledger: st, Log: l, Publish: s.Publish, VerifierKey: kp.VerifierKey, Settings: app.WitnessSettings(c), Store: st, Keys: st, Reviews: st, Components: comps,
			Access: access.NewService(st, l), Users: console.NewDirectory(st, l), Tenant: c.Tenant, Close: func() error { l.Close(); return st.Close() }}, nil
	}
	Register("controls", "controls: evaluate, history, POA&M, readiness, scope, attestations, access reviews", controls.CLI)
	Register("audit", "auditor package: export with samples and proofs, verify, OSCAL", audit.CLI)
}
