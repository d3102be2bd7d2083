// Package sqlite is the embedded, pure-Go store: one database file in WAL
// mode with a single writer connection and a pool of read-only connections.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"github.com/attest-ai/attest/internal/ledger"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/attest-ai/attest/internal/store"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql keymigrations/*.sql
var migrationFS embed.FS

// FileName is the database file inside the data directory.
const FileName = "attest.db"

// KeysFileName is the separate key store. It uses a rollback journal and
// secure_delete, so a destroyed data key leaves no copy in a WAL or in
// free pages.
const KeysFileName = "keys.db"

// Options tune the store.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: FULL (default) makes every
	// commit durable against power loss, NORMAL only against process crash.
	Synchronous string
	// Readers is the size of the read pool.
	Readers int
}

// Store is the SQLite implementation of every domain store.
type Store struct {
	w    *sql.DB // exactly one connection: SQLite has one writer
	r    *sql.DB // read-only pool
	keys *sql.DB // the key store, kept apart from payloads
	path string
	// tileStmt and hashStmt are prepared once: proofs read tiles on every
	// cache miss.
	tileStmt *sql.Stmt
	hashStmt [2]*sql.Stmt // see LedgerTileHashes
	commit   *commitStmts
	keyStmt  *sql.Stmt // authentication reads a key on every request
}

// Open opens or creates the database in dir and applies migrations.
func Open(ctx context.Context, dir string, opt Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	if opt.Synchronous == "" {
		opt.Synchronous = "FULL"
	}
	switch opt.Synchronous {
	case "FULL", "NORMAL", "EXTRA":
	default:
		return nil, fmt.Errorf("sqlite synchronous %q: use FULL, EXTRA or NORMAL", opt.Synchronous)
	}
	if opt.Readers <= 0 {
		opt.Readers = max(4, runtime.GOMAXPROCS(0)*2)
	}
	w, err := sql.Open("sqlite", dsn(path, false, opt.Synchronous))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", dsn(path, true, opt.Synchronous))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(opt.Readers)
	r.SetMaxIdleConns(opt.Readers)
	keys, err := sql.Open("sqlite", keysDSN(filepath.Join(dir, KeysFileName)))
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open key store: %w", err)
	}
	keys.SetMaxOpenConns(1)
	s := &Store{w: w, r: r, keys: keys, path: path}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.commit, err = prepareCommit(ctx, w); err != nil {
		s.Close()
		return nil, err
	}
	if s.keyStmt, err = r.PrepareContext(ctx, keyQuery); err != nil {
		s.Close()
		return nil, fmt.Errorf("prepare key read: %w", err)
	}
	if s.tileStmt, err = r.PrepareContext(ctx, `SELECT width, data FROM ledger_tiles WHERE key = ?`); err != nil {
		s.Close()
		return nil, fmt.Errorf("prepare tile read: %w", err)
	}
	for i, n := range []int{ledger.TileHeight, ledger.MaxTileHashes} {
		if s.hashStmt[i], err = r.PrepareContext(ctx, hashQuery(n)); err != nil {
			s.Close()
			return nil, fmt.Errorf("prepare tile hash read: %w", err)
		}
	}
	// Only the attest user may read the databases; SQLite gives its WAL and
	// journal files the same mode.
	for _, f := range []string{path, path + "-wal", path + "-shm", filepath.Join(dir, KeysFileName)} {
		if err := os.Chmod(f, 0o600); err != nil && !os.IsNotExist(err) {
			s.Close()
			return nil, fmt.Errorf("restrict %s: %w", f, err)
		}
	}
	return s, nil
}

func dsn(path string, readOnly bool, sync string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	// SQLite's default 4 KiB pages: a commit rewrites every page it
	// touches in the WAL, and with 32 KiB pages the gateway's one-entry
	// commits took half as long again, while proofs were no faster (they
	// read 32-byte slices of a tile either way, see LedgerTileHashes).
	// The journal mode goes through the driver's own key, which it applies
	// after any _pragma values.
	q.Set("_journal_mode", "WAL")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Add("_pragma", "foreign_keys(ON)")
	if readOnly {
		// Readers are many and their pages are cheap to re-read from the OS
		// cache; a small page cache each keeps memory flat as the ledger grows.
		q.Add("_pragma", "cache_size(-4000)")
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "cache_size(-16000)")
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

func keysDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(DELETE)")
	q.Add("_pragma", "secure_delete(ON)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes both pools.
func (s *Store) Close() error {
	for _, st := range []*sql.Stmt{s.tileStmt, s.hashStmt[0], s.hashStmt[1], s.keyStmt} {
		if st != nil {
			st.Close()
		}
	}
	if s.commit != nil {
		s.commit.close()
	}
	err := s.r.Close()
	if werr := s.w.Close(); err == nil {
		err = werr
	}
	if kerr := s.keys.Close(); err == nil {
		err = kerr
	}
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.r.PingContext(ctx)
}

func (s *Store) migrate(ctx context.Context) error {
	for _, m := range []struct {
		db  *sql.DB
		dir string
	}{{s.w, "migrations"}, {s.keys, "keymigrations"}} {
		ms, err := store.LoadMigrations(migrationFS, m.dir)
		if err != nil {
			return err
		}
		if _, err := m.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_us INTEGER NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		if err := store.Migrate(ctx, migrator{m.db}, ms); err != nil {
			return err
		}
	}
	return nil
}

type migrator struct{ db *sql.DB }

func (m migrator) CurrentVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := m.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

func (m migrator) Apply(ctx context.Context, mg store.Migration) error {
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, mg.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_us) VALUES (?, ?, ?)`, mg.Version, mg.Name, time.Now().UnixMicro()); err != nil {
		return err
	}
	return tx.Commit()
}

// withTx runs fn in a write transaction.
func (s *Store) withTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
