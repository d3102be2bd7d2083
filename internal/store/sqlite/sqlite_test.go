package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/store/sqlite"
	"github.com/attest-ai/attest/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		s, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestNewDatabaseLayout checks what a new database is created with: WAL
// and SQLite's default 4 KiB pages, which keep small commits small.
func TestNewDatabaseLayout(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := rawDB(t, dir)
	var pageSize int
	var mode string
	if err := db.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if pageSize != 4096 || mode != "wal" {
		t.Fatalf("new database: page_size %d, journal_mode %s; want 4096, wal", pageSize, mode)
	}
}

// TestCheckpointer checks that commits leave checkpointing to the
// background: the WAL grows past SQLite's automatic limit without being
// reset by a commit, a tick copies it into the database, and closing the
// store empties it.
func TestCheckpointer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(ctx, s, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		if _, err := l.Append(ctx, event400(i)); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	wal := filepath.Join(dir, sqlite.FileName+"-wal")
	if fi, err := os.Stat(wal); err != nil || fi.Size() == 0 {
		t.Fatalf("the WAL should hold the commits until a checkpoint: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(wal); err == nil && fi.Size() != 0 {
		t.Fatalf("WAL holds %d bytes after close; the final checkpoint did not run", fi.Size())
	}
	s, err = sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, _, err := s.LedgerHead(ctx); err != nil || n != 300 {
		t.Fatalf("after reopening: size %d, %v", n, err)
	}
}
