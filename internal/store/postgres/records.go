package postgres

import (
	"context"
	"time"

	"github.com/attest-ai/attest/internal/records"
)

var _ records.Store = (*Store)(nil)

// PutDoc implements records.Store.
func (s *Store) PutDoc(ctx context.Context, d records.Doc) (records.Doc, error) {
	now := time.Now().UTC()
	if d.Rev == 0 {
		tag, err := s.pool.Exec(ctx, `INSERT INTO records (kind, tenant, id, rev, data, created_us, updated_us) VALUES ($1, $2, $3, 1, $4, $5, $5) ON CONFLICT DO NOTHING`,
			d.Kind, d.Tenant, d.ID, d.Data, now.UnixMicro())
		if err != nil {
			return d, err
		}
		if tag.RowsAffected() == 0 {
			return d, records.ErrExists
		}
		d.Rev, d.Created, d.Updated = 1, now, now
		return d, nil
	}
	tag, err := s.pool.Exec(ctx, `UPDATE records SET rev = rev + 1, data = $1, updated_us = $2 WHERE kind = $3 AND tenant = $4 AND id = $5 AND rev = $6`,
		d.Data, now.UnixMicro(), d.Kind, d.Tenant, d.ID, d.Rev)
	if err != nil {
		return d, err
	}
	if tag.RowsAffected() == 0 {
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
	d, err := scanDoc(s.pool.QueryRow(ctx, `SELECT `+docCols+` FROM records WHERE kind = $1 AND tenant = $2 AND id = $3`, kind, tenant, id))
	return d, notFound(err, records.ErrNotFound)
}

// ListDocs implements records.Store.
func (s *Store) ListDocs(ctx context.Context, kind, tenant, after string, limit int) ([]records.Doc, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+docCols+` FROM records WHERE kind = $1 AND ($2 = '' OR tenant = $2) AND id > $3 ORDER BY id, tenant LIMIT $4`, kind, tenant, after, limit)
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
	tag, err := s.pool.Exec(ctx, `DELETE FROM records WHERE kind = $1 AND tenant = $2 AND id = $3`, kind, tenant, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return records.ErrNotFound
	}
	return nil
}
