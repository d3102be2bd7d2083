package sqlite_test

import (
	"context"
	"testing"

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
