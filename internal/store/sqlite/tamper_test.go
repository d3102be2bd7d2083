package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/store/sqlite"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// fixture builds a 600-entry ledger with checkpoints at 300 and 600.
func fixture(t *testing.T) (dir string, st *sqlite.Store, vkey string) {
	t.Helper()
	ctx := context.Background()
	dir = t.TempDir()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l, err := ledger.Open(ctx, st, ledger.Options{BatchMax: 50})
	if err != nil {
		t.Fatal(err)
	}
	skey, vkey, _ := note.GenerateKey(nil, "attest.test/tamper")
	signer, _ := note.NewSigner(skey)
	s := ledger.NewSigner(l, signer)
	for i := 0; i < 600; i++ {
		if _, err := l.Append(ctx, event400(i)); err != nil {
			t.Fatal(err)
		}
		if i == 299 || i == 599 {
			if _, err := s.Publish(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	l.Close()
	if _, err := ledger.Verify(ctx, ledger.StoreSource{Store: st}, vkey, nil); err != nil {
		t.Fatalf("untouched ledger does not verify: %v", err)
	}
	return dir, st, vkey
}

func rawDB(t *testing.T, dir string) *sql.DB {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestVerifyCatchesTampering changes the database behind the ledger's back
// and checks that verification names the index.
func TestVerifyCatchesTampering(t *testing.T) {
	cases := []struct {
		name  string
		sql   []string
		index uint64
	}{
		{"flip one byte of an entry", []string{`UPDATE ledger_entries SET data = CAST(replace(CAST(data AS TEXT), 'req-000000000042', 'req-000000000043') AS BLOB) WHERE idx = 42`}, 42},
		{"delete an entry", []string{`DELETE FROM ledger_entries WHERE idx = 137`}, 137},
		{"reorder two entries", []string{
			`UPDATE ledger_entries SET idx = -1 WHERE idx = 200`,
			`UPDATE ledger_entries SET idx = 200 WHERE idx = 201`,
			`UPDATE ledger_entries SET idx = 201 WHERE idx = -1`}, 200},
		{"truncate the log", []string{`DELETE FROM ledger_entries WHERE idx >= 550`, `UPDATE ledger_head SET size = 550`}, 550},
		{"truncate entries only", []string{`DELETE FROM ledger_entries WHERE idx >= 590`}, 590},
		{"replace a stored leaf hash", []string{`UPDATE ledger_tiles SET data = zeroblob(32) || substr(data, 33) WHERE level = 0 AND idx = 1`}, 256},
		{"replace a stored interior hash", []string{`UPDATE ledger_tiles SET data = substr(data, 1, 8192) || zeroblob(32) || substr(data, 8225) WHERE level = 0 AND idx = 0`}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, st, vkey := fixture(t)
			db := rawDB(t, dir)
			for _, q := range c.sql {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			_, err := ledger.Verify(context.Background(), ledger.StoreSource{Store: st}, vkey, nil)
			var te *ledger.TamperError
			if !errors.As(err, &te) {
				t.Fatalf("verify did not report tampering: %v", err)
			}
			if te.Index != c.index {
				t.Fatalf("verify named index %d (%s), want %d", te.Index, te.Reason, c.index)
			}
		})
	}
}

func TestBundleExportAndOfflineVerify(t *testing.T) {
	ctx := context.Background()
	_, st, vkey := fixture(t)
	out := t.TempDir()
	cp, err := ledger.Export(ctx, st, vkey, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ledger.OpenBundle(out)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ledger.Verify(ctx, b, vkey, nil)
	if err != nil {
		t.Fatalf("bundle does not verify: %v", err)
	}
	if rep.Size != cp.Size || rep.Checkpoints != 2 {
		t.Fatalf("report %+v", rep)
	}
	// Any modified file makes verification fail.
	for _, rel := range []string{"tile/entries/001", "tile/0/000", "tile/1/000.p/2", "checkpoint", "checkpoints/300", "tile/entries/002.p/88"} {
		t.Run(rel, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(out)); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, rel)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 1
			os.WriteFile(p, data, 0o644)
			b, _ := ledger.OpenBundle(dir)
			if _, err := ledger.Verify(ctx, b, vkey, nil); err == nil {
				t.Fatalf("modified %s still verifies", rel)
			}
		})
	}
	// A key other than the log's is refused.
	_, other, _ := note.GenerateKey(nil, "attest.test/tamper")
	if _, err := ledger.Verify(ctx, b, other, nil); err == nil {
		t.Fatal("bundle verified under a foreign key")
	}
}

// TestExportRefusesTamperedLedger checks that export verifies while it
// writes: a tampered ledger is refused with the index, and nothing is left
// in the output directory.
func TestExportRefusesTamperedLedger(t *testing.T) {
	ctx := context.Background()
	dir, st, vkey := fixture(t)
	if _, err := rawDB(t, dir).Exec(`UPDATE ledger_entries SET data = CAST(replace(CAST(data AS TEXT), 'req-000000000420', 'req-000000000421') AS BLOB) WHERE idx = 420`); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	_, err := ledger.Export(ctx, st, vkey, out, nil)
	var te *ledger.TamperError
	if !errors.As(err, &te) || te.Index != 420 {
		t.Fatalf("export of a tampered ledger: %v, want a tamper error at 420", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Fatalf("refused export left %d files behind", len(ents))
	}
}

func TestExportFiles(t *testing.T) {
	ctx := context.Background()
	_, st, vkey := fixture(t)
	out := t.TempDir()
	if _, err := ledger.Export(ctx, st, vkey, out, nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return err
	})
	want := []string{"checkpoint", "checkpoints/300", "checkpoints/600", "key.pub",
		"tile/0/000", "tile/0/001", "tile/0/002.p/88", "tile/1/000.p/2",
		"tile/entries/000", "tile/entries/001", "tile/entries/002.p/88"}
	if !slices.Equal(got, want) {
		t.Fatalf("bundle files\n got %q\nwant %q", got, want)
	}
	if _, err := ledger.Export(ctx, st, vkey, out, nil); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("export into a non-empty directory: %v", err)
	}
}

// TestTileKeyMigration turns a ledger back into the layout before
// migration 0009 (tiles keyed by level and index) and checks that opening
// it moves every tile over and the ledger still verifies and proves.
func TestTileKeyMigration(t *testing.T) {
	ctx := context.Background()
	dir, st, vkey := fixture(t)
	st.Close()
	db := rawDB(t, dir)
	for _, q := range []string{
		`CREATE TABLE old_tiles (level INTEGER NOT NULL, idx INTEGER NOT NULL, width INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (level, idx))`,
		`INSERT INTO old_tiles SELECT level, idx, width, data FROM ledger_tiles`,
		`DROP TABLE ledger_tiles`,
		`ALTER TABLE old_tiles RENAME TO ledger_tiles`,
		`ALTER TABLE api_keys DROP COLUMN owner`, // undo the later 0010 too
		`DELETE FROM schema_migrations WHERE version >= 9`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := ledger.Verify(ctx, ledger.StoreSource{Store: st}, vkey, nil); err != nil {
		t.Fatalf("after migration: %v", err)
	}
	l, err := ledger.Open(ctx, st, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	size, root := l.Head()
	p, err := l.InclusionProof(ctx, 137, size)
	if err != nil {
		t.Fatal(err)
	}
	h, err := l.LeafHash(ctx, 137)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckRecord(p, int64(size), root, 137, h); err != nil {
		t.Fatalf("proof after migration: %v", err)
	}
}
