package cli

import (
	"context"
	"io"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/console"
	"github.com/attest-ai/attest/internal/ledger"
)

func init() {
	// Users are managed without app.Open, so running this before the first
	// `attest serve` does not mint (and lose) the first admin API key.
	console.Open = func(ctx context.Context, c config.Config) (*console.Env, error) {
		st, err := app.OpenStore(ctx, c)
		if err != nil {
			return nil, err
		}
		l, err := ledger.Open(ctx, st, ledger.Options{Logger: app.NewLogger(c, io.Discard)})
		if err != nil {
			st.Close()
			return nil, err
		}
		return &console.Env{Records: st, Log: l, Close: func() error { l.Close(); return st.Close() }}, nil
	}
	Register("users", "create and manage web console users", console.CLI)
}
