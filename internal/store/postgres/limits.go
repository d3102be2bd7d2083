package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/attest-ai/attest/internal/limits"
)

// LimitsSchema creates the table of limit counters. Counters are keyed by
// name and window start; expired rows are removed by Sweep.
const LimitsSchema = `
CREATE TABLE IF NOT EXISTS gateway_limit_counters (
	key        text        NOT NULL,
	window_at  timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	value      bigint      NOT NULL,
	PRIMARY KEY (key, window_at)
);
CREATE INDEX IF NOT EXISTS gateway_limit_counters_expires ON gateway_limit_counters (expires_at);
`

// Limits is a limits.Backend in PostgreSQL, so that every gateway replica
// counts against the same windows.
type Limits struct {
	pool *pgxpool.Pool
}

// NewLimits returns a limits backend on pool. Call Migrate once before use.
func NewLimits(pool *pgxpool.Pool) *Limits { return &Limits{pool: pool} }

// Migrate creates the counters table if it is missing.
func (l *Limits) Migrate(ctx context.Context) error {
	if _, err := l.pool.Exec(ctx, LimitsSchema); err != nil {
		return fmt.Errorf("create gateway_limit_counters: %w", err)
	}
	return nil
}

// applySQL adds all deltas in one statement; each row's upsert is atomic,
// which is all limits.Backend asks for.
const applySQL = `
INSERT INTO gateway_limit_counters AS c (key, window_at, expires_at, value)
SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::bigint[])
ON CONFLICT (key, window_at) DO UPDATE SET value = c.value + EXCLUDED.value
RETURNING key, window_at, value`

// Apply implements limits.Backend in one round trip.
func (l *Limits) Apply(ctx context.Context, ops []limits.Op) ([]int64, error) {
	keys := make([]string, len(ops))
	wins := make([]time.Time, len(ops))
	exps := make([]time.Time, len(ops))
	deltas := make([]int64, len(ops))
	type at struct {
		key string
		win int64
	}
	pos := make(map[at]int, len(ops))
	for i, op := range ops {
		w := op.Window.UTC().Truncate(time.Microsecond)
		k := at{op.Key, w.UnixMicro()}
		if _, dup := pos[k]; dup {
			return nil, fmt.Errorf("apply limit counters: counter %s appears twice in one call", op.Key)
		}
		pos[k] = i
		keys[i], wins[i], exps[i], deltas[i] = op.Key, w, op.Expires.UTC(), op.Delta
	}
	rows, err := l.pool.Query(ctx, applySQL, keys, wins, exps, deltas)
	if err != nil {
		return nil, fmt.Errorf("apply limit counters: %w", err)
	}
	defer rows.Close()
	out := make([]int64, len(ops))
	seen := 0
	for rows.Next() {
		var key string
		var win time.Time
		var v int64
		if err := rows.Scan(&key, &win, &v); err != nil {
			return nil, fmt.Errorf("apply limit counters: %w", err)
		}
		i, ok := pos[at{key, win.UTC().UnixMicro()}]
		if !ok {
			return nil, fmt.Errorf("apply limit counters: unexpected counter in answer")
		}
		out[i] = v
		seen++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("apply limit counters: %w", err)
	}
	if seen != len(ops) {
		return nil, fmt.Errorf("apply limit counters: %d of %d counters answered", seen, len(ops))
	}
	return out, nil
}

// Sweep deletes counters that expired before now and returns how many.
func (l *Limits) Sweep(ctx context.Context, now time.Time) (int64, error) {
	tag, err := l.pool.Exec(ctx, `DELETE FROM gateway_limit_counters WHERE expires_at < $1`, now.UTC())
	if err != nil {
		return 0, fmt.Errorf("sweep limit counters: %w", err)
	}
	return tag.RowsAffected(), nil
}

var _ limits.Backend = (*Limits)(nil)
