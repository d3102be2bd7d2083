package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

var _ ledger.Store = (*Store)(nil)

// LedgerHead implements ledger.Store.
func (s *Store) LedgerHead(ctx context.Context) (uint64, tlog.Hash, error) {
	return scanHead(s.r.QueryRowContext(ctx, headQuery))
}

const headQuery = `SELECT size, root FROM ledger_head WHERE id = 1`

func scanHead(row *sql.Row) (uint64, tlog.Hash, error) {
	var size int64
	var root []byte
	if err := row.Scan(&size, &root); err != nil {
		return 0, tlog.Hash{}, fmt.Errorf("read ledger head: %w", err)
	}
	var h tlog.Hash
	if len(root) != len(h) {
		return 0, tlog.Hash{}, fmt.Errorf("ledger head root has %d bytes", len(root))
	}
	copy(h[:], root)
	return uint64(size), h, nil
}

// commitStmts are the statements of a ledger commit, prepared once on the
// writer connection: SQLite parses a statement anew on every Exec, and with
// the small batches of steady gateway traffic parsing cost about as much
// CPU as the writing itself.
type commitStmts struct {
	head, tile, setHead *sql.Stmt
	// Rows are inserted insertChunk at a time, the rest one by one.
	entries, entry    *sql.Stmt
	subjects, subject *sql.Stmt
}

const (
	entriesInsert  = `INSERT INTO ledger_entries (idx, type, tenant, time_us, data) VALUES `
	entryTuple     = "(?,?,?,?,?)"
	subjectsInsert = `INSERT OR IGNORE INTO ledger_subjects (kind, id, idx) VALUES `
	subjectTuple   = "(?,?,?)"
)

func rowsQuery(prefix, tuple string, n int) string {
	return prefix + strings.TrimSuffix(strings.Repeat(tuple+",", n), ",")
}

func prepareCommit(ctx context.Context, db *sql.DB) (*commitStmts, error) {
	var c commitStmts
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&c.head, headQuery},
		{&c.tile, `INSERT INTO ledger_tiles (key, level, idx, width, data) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (key) DO UPDATE SET width = excluded.width, data = excluded.data`},
		{&c.setHead, `UPDATE ledger_head SET size = ?, root = ? WHERE id = 1`},
		{&c.entries, rowsQuery(entriesInsert, entryTuple, insertChunk)},
		{&c.entry, rowsQuery(entriesInsert, entryTuple, 1)},
		{&c.subjects, rowsQuery(subjectsInsert, subjectTuple, insertChunk)},
		{&c.subject, rowsQuery(subjectsInsert, subjectTuple, 1)},
	} {
		st, err := db.PrepareContext(ctx, p.q)
		if err != nil {
			c.close()
			return nil, fmt.Errorf("prepare ledger commit: %w", err)
		}
		*p.dst = st
	}
	return &c, nil
}

func (c *commitStmts) close() {
	for _, st := range []*sql.Stmt{c.head, c.tile, c.setHead, c.entries, c.entry, c.subjects, c.subject} {
		if st != nil {
			st.Close()
		}
	}
}

// insertChunk is how many rows one multi-row INSERT carries; fewer
// statements per batch is most of the write cost in a pure-Go driver.
const insertChunk = 128

// AppendLedger implements ledger.Store.
func (s *Store) AppendLedger(ctx context.Context, b *ledger.Batch) error {
	c := s.commit
	return s.withTx(ctx, func(tx *sql.Tx) error {
		size, _, err := scanHead(tx.StmtContext(ctx, c.head).QueryRowContext(ctx))
		if err != nil {
			return err
		}
		if size != b.OldSize {
			return fmt.Errorf("%w: expected size %d, found %d", ledger.ErrConflict, b.OldSize, size)
		}
		err = insertRows(ctx, tx, c.entries, c.entry, len(b.Entries), func(i int, args []any) []any {
			e := &b.Entries[i]
			return append(args, int64(e.Index), e.Type, e.Tenant, e.Time.UnixMicro(), e.Data)
		})
		if err != nil {
			return fmt.Errorf("insert entries: %w", err)
		}
		var subs [][3]any
		for _, e := range b.Entries {
			for _, r := range e.Subjects {
				subs = append(subs, [3]any{r.Kind, r.ID, int64(e.Index)})
			}
		}
		if err := insertRows(ctx, tx, c.subjects, c.subject, len(subs), func(i int, args []any) []any {
			return append(args, subs[i][:]...)
		}); err != nil {
			return fmt.Errorf("insert subjects: %w", err)
		}
		tile := tx.StmtContext(ctx, c.tile)
		for _, t := range b.Tiles {
			if _, err := tile.ExecContext(ctx, tileKey(t.Level, t.Index), int64(t.Level), int64(t.Index), t.Width, t.Data); err != nil {
				return fmt.Errorf("write tile %d/%d: %w", t.Level, t.Index, err)
			}
		}
		if _, err := tx.StmtContext(ctx, c.setHead).ExecContext(ctx, int64(b.NewSize), b.Root[:]); err != nil {
			return fmt.Errorf("update head: %w", err)
		}
		return nil
	})
}

// insertRows inserts n rows with chunk, which takes insertChunk rows, and
// then one, which takes a single row; row appends row i's values to args.
func insertRows(ctx context.Context, tx *sql.Tx, chunk, one *sql.Stmt, n int, row func(i int, args []any) []any) error {
	if n == 0 {
		return nil
	}
	var args []any
	i := 0
	if n >= insertChunk {
		st := tx.StmtContext(ctx, chunk)
		for ; i+insertChunk <= n; i += insertChunk {
			args = args[:0]
			for j := i; j < i+insertChunk; j++ {
				args = row(j, args)
			}
			if _, err := st.ExecContext(ctx, args...); err != nil {
				return err
			}
		}
	}
	if i == n {
		return nil
	}
	st := tx.StmtContext(ctx, one)
	for ; i < n; i++ {
		if _, err := st.ExecContext(ctx, row(i, args[:0])...); err != nil {
			return err
		}
	}
	return nil
}

// LedgerTile implements ledger.Store.
func (s *Store) LedgerTile(ctx context.Context, level, index uint64) (int, []byte, error) {
	var w int
	var data []byte
	err := s.tileStmt.QueryRowContext(ctx, tileKey(level, index)).Scan(&w, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, ledger.ErrNotFound
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read tile: %w", err)
	}
	return w, data, nil
}

// LedgerTileHashes implements ledger.Store. Two statements are prepared
// once, for up to TileHeight slices (an inclusion proof's) and for
// MaxTileHashes: binding arguments is most of a small query's cost. The
// slices are concatenated into one column; unused ones read the first hash
// again and are cut off.
func (s *Store) LedgerTileHashes(ctx context.Context, level, index uint64, offsets []int) (int, []byte, error) {
	n := len(offsets)
	if n > ledger.MaxTileHashes {
		return 0, nil, fmt.Errorf("read tile hashes: %d offsets, at most %d", n, ledger.MaxTileHashes)
	}
	stmt, slots := s.hashStmt[0], ledger.TileHeight
	if n > slots {
		stmt, slots = s.hashStmt[1], ledger.MaxTileHashes
	}
	var buf [ledger.MaxTileHashes + 1]any
	args := buf[:slots+1]
	for i := range slots {
		o := 0
		if i < n {
			o = offsets[i]
		}
		args[i] = o + 1 // substr counts from 1
	}
	args[slots] = tileKey(level, index)
	var w int
	var hashes []byte
	err := stmt.QueryRowContext(ctx, args...).Scan(&w, &hashes)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, ledger.ErrNotFound
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read tile hashes: %w", err)
	}
	return w, hashes[:min(len(hashes), n*tlog.HashSize)], nil
}

// LedgerEntries implements ledger.Store.
func (s *Store) LedgerEntries(ctx context.Context, start uint64, n int) ([]ledger.RawEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT idx, data FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx`, int64(start), int64(start)+int64(n))
	if err != nil {
		return nil, fmt.Errorf("read entries: %w", err)
	}
	return scanEntries(rows, n)
}

func scanEntries(rows *sql.Rows, capHint int) ([]ledger.RawEntry, error) {
	defer rows.Close()
	out := make([]ledger.RawEntry, 0, capHint)
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			return nil, fmt.Errorf("scan entry: %w", err)
		}
		out = append(out, ledger.RawEntry{Index: uint64(idx), Data: data})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read entries: %w", err)
	}
	return out, nil
}

// QueryLedger implements ledger.Store.
func (s *Store) QueryLedger(ctx context.Context, q ledger.Query) ([]ledger.RawEntry, error) {
	var where []string
	var args []any
	from := "ledger_entries e"
	if q.Subject != nil {
		from = "ledger_subjects s JOIN ledger_entries e ON e.idx = s.idx"
		where = append(where, "s.kind = ?", "s.id = ?")
		args = append(args, q.Subject.Kind, q.Subject.ID)
	}
	if q.Type != "" {
		where = append(where, "e.type = ?")
		args = append(args, q.Type)
	}
	if q.Tenant != "" {
		where = append(where, "e.tenant = ?")
		args = append(args, q.Tenant)
	}
	if !q.From.IsZero() {
		where = append(where, "e.time_us >= ?")
		args = append(args, q.From.UnixMicro())
	}
	if !q.To.IsZero() {
		where = append(where, "e.time_us < ?")
		args = append(args, q.To.UnixMicro())
	}
	if q.After != nil {
		where = append(where, "e.idx > ?")
		args = append(args, int64(*q.After))
	}
	stmt := "SELECT e.idx, e.data FROM " + from
	if len(where) > 0 {
		stmt += " WHERE " + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	stmt += " ORDER BY e.idx LIMIT ?"
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("query entries: %w", err)
	}
	return scanEntries(rows, limit)
}

// SaveCheckpoint implements ledger.Store.
func (s *Store) SaveCheckpoint(ctx context.Context, c ledger.Checkpoint) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO ledger_checkpoints (size, root, note, created_us) VALUES (?, ?, ?, ?) ON CONFLICT (size) DO NOTHING`,
		int64(c.Size), c.Root[:], c.Note, c.Time.UnixMicro())
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return nil
}

// AddCosignatures implements ledger.Store. The writer's immediate
// transaction makes the read and the update one step.
func (s *Store) AddCosignatures(ctx context.Context, size uint64, sigs []byte) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		var note []byte
		err := tx.QueryRowContext(ctx, `SELECT note FROM ledger_checkpoints WHERE size = ?`, int64(size)).Scan(&note)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("checkpoint of size %d: %w", size, ledger.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read checkpoint: %w", err)
		}
		merged, err := ledger.MergeSignatures(note, sigs)
		if err != nil {
			return fmt.Errorf("checkpoint of size %d: %w", size, err)
		}
		if len(merged) == len(note) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ledger_checkpoints SET note = ? WHERE size = ?`, merged, int64(size)); err != nil {
			return fmt.Errorf("save cosignatures: %w", err)
		}
		return nil
	})
}

// LatestCheckpoint implements ledger.Store.
func (s *Store) LatestCheckpoint(ctx context.Context) (ledger.Checkpoint, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT size, root, note, created_us FROM ledger_checkpoints ORDER BY size DESC LIMIT 1`)
	if err != nil {
		return ledger.Checkpoint{}, fmt.Errorf("read checkpoint: %w", err)
	}
	cs, err := scanCheckpoints(rows)
	if err != nil {
		return ledger.Checkpoint{}, err
	}
	if len(cs) == 0 {
		return ledger.Checkpoint{}, ledger.ErrNotFound
	}
	return cs[0], nil
}

// Checkpoints implements ledger.Store.
func (s *Store) Checkpoints(ctx context.Context, from, to uint64) ([]ledger.Checkpoint, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT size, root, note, created_us FROM ledger_checkpoints WHERE size >= ? AND size <= ? ORDER BY size`, int64(from), int64(min(to, 1<<62)))
	if err != nil {
		return nil, fmt.Errorf("read checkpoints: %w", err)
	}
	return scanCheckpoints(rows)
}

func scanCheckpoints(rows *sql.Rows) ([]ledger.Checkpoint, error) {
	defer rows.Close()
	var out []ledger.Checkpoint
	for rows.Next() {
		var size, us int64
		var root, note []byte
		if err := rows.Scan(&size, &root, &note, &us); err != nil {
			return nil, fmt.Errorf("scan checkpoint: %w", err)
		}
		c := ledger.Checkpoint{Size: uint64(size), Note: note, Time: time.UnixMicro(us).UTC()}
		copy(c.Root[:], root)
		out = append(out, c)
	}
	return out, rows.Err()
}

// tileKey is a tile's row key (migration 0009).
func tileKey(level, index uint64) int64 { return int64(level)<<40 | int64(index) }

// hashQuery selects the width and n 32-byte slices of a tile,
// concatenated.
func hashQuery(n int) string {
	var b strings.Builder
	b.WriteString("SELECT width, ")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(" || ")
		}
		fmt.Fprintf(&b, "substr(data, ?, %d)", tlog.HashSize)
	}
	b.WriteString(" FROM ledger_tiles WHERE key = ?")
	return b.String()
}
