package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attest-ai/attest/internal/limits"
	"github.com/attest-ai/attest/internal/limits/limitstest"
	"github.com/attest-ai/attest/internal/store/postgres"
)

// TestLimits runs the limits conformance suite on PostgreSQL, with several
// limiters sharing the database as replicas would.
func TestLimits(t *testing.T) {
	url := testURL(t)
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "limits_" + hex.EncodeToString(b)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	defer pool.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	l := postgres.NewLimits(pool)
	if err := l.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	limitstest.Run(t, func(func() time.Time) limits.Backend { return l })
	n, err := l.Sweep(ctx, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || n == 0 {
		t.Errorf("sweep removed %d counters (%v)", n, err)
	}
}
