package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/attest-ai/attest/internal/records"
)

var _ records.Store = (*Store)(nil)

// PutDoc implements records.Store.
func (s *Store) PutDoc(ctx context.Context, d records.Doc) (records.Doc, error) {
	now := time.Now().UTC()
	if d.Rev == 0 {
		res, err := s.w.ExecContext(ctx, `INSERT INTO records (kind, tenant, id, rev, data, created_us, updated_us) VALUES (?, ?, ?, 1, ?, ?, ?) ON CONFLICT DO NOTHING`,
			d.Kind, d.Tenant, d.ID, d.Data, now.UnixMicro(), now.UnixMicro())
		if err != nil {
			return d, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return d, records.ErrExists
		}
		d.Rev, d.Created, d.Updated = 1, now, now
		return d, nil
	}
	res, err := s.w.ExecContext(ctx, `UPDATE records SET rev = rev + 1, data = ?, updated_us = ? WHERE kind = ? AND tenant = ? AND id = ? AND rev = ?`,
		d.Data, now.UnixMicro(), d.Kind, d.Tenant, d.ID, d.Rev)
	if err != nil {
		return d, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return d, records.ErrConflict
	}
	d.Rev++
	d.Updated = now
	return d, nil
}

func scanDoc(sc interface{ Scan(...any) error }) (records.Doc, error) {
	var d records.Doc
	var c, u int64
	err := sc.Scan(&d.Kind, &d.Tenant, &d.ID, &d.Rev, &d.Data, &c, &u)
	d.Created, d.Updated = fromUS(c), fromUS(u)
	return d, err
}

const docCols = `kind, tenant, id, rev, data, created_us, updated_us`

// GetDoc implements records.Store.
func (s *Store) GetDoc(ctx context.Context, kind, tenant, id string) (records.Doc, error) {
	d, err := scanDoc(s.r.QueryRowContext(ctx, `SELECT `+docCols+` FROM records WHERE kind = ? AND tenant = ? AND id = ?`, kind, tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, records.ErrNotFound
	}
	return d, err
}

// ListDocs implements records.Store.
func (s *Store) ListDocs(ctx context.Context, kind, tenant, after string, limit int) ([]records.Doc, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+docCols+` FROM records WHERE kind = ? AND (? = '' OR tenant = ?) AND id > ? ORDER BY id, tenant LIMIT ?`, kind, tenant, tenant, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []records.Doc
	for rows.Next() {
		d, err := scanDoc(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeleteDoc implements records.Store.
func (s *Store) DeleteDoc(ctx context.Context, kind, tenant, id string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM records WHERE kind = ? AND tenant = ? AND id = ?`, kind, tenant, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return records.ErrNotFound
	}
	return nil
}
