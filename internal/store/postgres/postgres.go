// Package postgres is the store for several replicas: PostgreSQL through
// pgx v5. Replicas share one database; the ledger head row serializes their
// appends.
package postgres

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/attest-ai/attest/internal/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options tune the store.
type Options struct {
	// Schema, if set, is created if missing and used as the search path.
	// Tests use it to isolate runs in one database.
	Schema   string
	MaxConns int32
}

// Store is the PostgreSQL implementation of every domain store.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects, applies migrations and returns the store.
func Open(ctx context.Context, url string, opt Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w (expected postgres://user@host:5432/db)", err)
	}
	if opt.MaxConns > 0 {
		cfg.MaxConns = opt.MaxConns
	} else if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	if opt.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = opt.Schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	s := &Store{pool: pool}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres at %s: %w (is the server running? check --database)", cfg.ConnConfig.Host, err)
	}
	if opt.Schema != "" {
		if _, err := pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{opt.Schema}.Sanitize()); err != nil {
			pool.Close()
			return nil, fmt.Errorf("create schema: %w", err)
		}
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Pool exposes the connection pool to components that keep their own
// PostgreSQL state, such as shared rate limits.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// migrationLock keeps two replicas from migrating at once.
const migrationLock = 0x61747465 // "atte"

func (s *Store) migrate(ctx context.Context) error {
	ms, err := store.LoadMigrations(migrationFS, "migrations")
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_us BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	return store.Migrate(ctx, migrator{conn.Conn()}, ms)
}

type migrator struct{ c *pgx.Conn }

func (m migrator) CurrentVersion(ctx context.Context) (int, error) {
	var v *int
	if err := m.c.QueryRow(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, err
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}

func (m migrator) Apply(ctx context.Context, mg store.Migration) error {
	return pgx.BeginFunc(ctx, m.c, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, mg.SQL); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_us) VALUES ($1, $2, $3)`, mg.Version, mg.Name, time.Now().UnixMicro())
		return err
	})
}
