package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/attest-ai/attest/internal/vault"
	"github.com/jackc/pgx/v5"
)

var _ vault.Store = (*Store)(nil)

func us(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromUS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func notFound(err error, nf error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return nf
	}
	return err
}

// PutSubjectKey implements vault.Store.
func (s *Store) PutSubjectKey(ctx context.Context, k vault.SubjectKey) (vault.SubjectKey, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO subject_keys (tenant, subject, wrapped, master_id, created_us) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		k.Tenant, k.Subject, k.Wrapped, k.MasterID, us(k.Created)); err != nil {
		return vault.SubjectKey{}, err
	}
	return s.SubjectKey(ctx, k.Tenant, k.Subject)
}

// SubjectKey implements vault.Store.
func (s *Store) SubjectKey(ctx context.Context, tenant, subject string) (vault.SubjectKey, error) {
	k := vault.SubjectKey{Tenant: tenant, Subject: subject}
	var c int64
	err := s.pool.QueryRow(ctx, `SELECT wrapped, master_id, created_us FROM subject_keys WHERE tenant = $1 AND subject = $2`, tenant, subject).Scan(&k.Wrapped, &k.MasterID, &c)
	k.Created = fromUS(c)
	return k, notFound(err, vault.ErrNotFound)
}

// DeleteSubjectKey implements vault.Store. The dead tuple is vacuumed right
// away so the wrapped key does not linger in the table's pages.
func (s *Store) DeleteSubjectKey(ctx context.Context, tenant, subject string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM subject_keys WHERE tenant = $1 AND subject = $2`, tenant, subject)
	if err != nil {
		return false, err
	}
	if _, err := s.pool.Exec(ctx, `VACUUM subject_keys`); err != nil {
		return true, fmt.Errorf("vacuum key store after erasure: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// SubjectKeys implements vault.Store.
func (s *Store) SubjectKeys(ctx context.Context, after string, limit int) ([]vault.SubjectKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT tenant, subject, wrapped, master_id, created_us FROM subject_keys WHERE tenant || chr(1) || subject > $1 ORDER BY tenant || chr(1) || subject LIMIT $2`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []vault.SubjectKey
	for rows.Next() {
		var k vault.SubjectKey
		var c int64
		if err := rows.Scan(&k.Tenant, &k.Subject, &k.Wrapped, &k.MasterID, &c); err != nil {
			return nil, err
		}
		k.Created = fromUS(c)
		out = append(out, k)
	}
	return out, rows.Err()
}

// RewrapSubjectKey implements vault.Store.
func (s *Store) RewrapSubjectKey(ctx context.Context, k vault.SubjectKey) error {
	_, err := s.pool.Exec(ctx, `UPDATE subject_keys SET wrapped = $1, master_id = $2 WHERE tenant = $3 AND subject = $4`, k.Wrapped, k.MasterID, k.Tenant, k.Subject)
	return err
}

// VaultSecret implements vault.Store.
func (s *Store) VaultSecret(ctx context.Context, name string) ([]byte, string, error) {
	var w []byte
	var mid string
	err := s.pool.QueryRow(ctx, `SELECT wrapped, master_id FROM vault_secrets WHERE name = $1`, name).Scan(&w, &mid)
	return w, mid, notFound(err, vault.ErrNotFound)
}

// PutVaultSecret implements vault.Store.
func (s *Store) PutVaultSecret(ctx context.Context, name string, wrapped []byte, masterID string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO vault_secrets (name, wrapped, master_id) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET wrapped = excluded.wrapped, master_id = excluded.master_id`, name, wrapped, masterID)
	return err
}

// PutPayload implements vault.Store.
func (s *Store) PutPayload(ctx context.Context, p vault.Payload) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO payloads (ref, tenant, subject, kind, class, nonce, ciphertext, created_us, expires_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		p.Ref, p.Tenant, p.Subject, p.Kind, p.Class, p.Nonce, p.Ciphertext, us(p.Created), us(p.Expires))
	return err
}

const payloadCols = `ref, tenant, subject, kind, class, nonce, ciphertext, created_us, expires_us`

func scanPayload(sc interface{ Scan(...any) error }) (vault.Payload, error) {
	var p vault.Payload
	var c, e int64
	err := sc.Scan(&p.Ref, &p.Tenant, &p.Subject, &p.Kind, &p.Class, &p.Nonce, &p.Ciphertext, &c, &e)
	p.Created, p.Expires = fromUS(c), fromUS(e)
	return p, err
}

// Payload implements vault.Store.
func (s *Store) Payload(ctx context.Context, ref string) (vault.Payload, error) {
	p, err := scanPayload(s.pool.QueryRow(ctx, `SELECT `+payloadCols+` FROM payloads WHERE ref = $1`, ref))
	return p, notFound(err, vault.ErrNotFound)
}

// SubjectPayloads implements vault.Store.
func (s *Store) SubjectPayloads(ctx context.Context, tenant, subject string) ([]vault.Payload, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+payloadCols+` FROM payloads WHERE tenant = $1 AND subject = $2 ORDER BY created_us`, tenant, subject)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []vault.Payload
	for rows.Next() {
		p, err := scanPayload(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeleteSubjectPayloads implements vault.Store.
func (s *Store) DeleteSubjectPayloads(ctx context.Context, tenant, subject string) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM payloads WHERE tenant = $1 AND subject = $2`, tenant, subject)
	return int(tag.RowsAffected()), err
}

// DeleteExpiredPayloads implements vault.Store.
func (s *Store) DeleteExpiredPayloads(ctx context.Context, tenant, class string, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM payloads WHERE expires_us > 0 AND expires_us <= $1 AND ($2 = '' OR tenant = $2) AND ($3 = '' OR class = $3)`, before.UnixMicro(), tenant, class)
	if err != nil {
		return 0, fmt.Errorf("delete expired payloads: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// PutHold implements vault.Store.
func (s *Store) PutHold(ctx context.Context, h vault.Hold) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO legal_holds (tenant, subject, reason, placed_by, placed_us) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant, subject) DO UPDATE SET reason = excluded.reason, placed_by = excluded.placed_by, placed_us = excluded.placed_us`,
		h.Tenant, h.Subject, h.Reason, h.PlacedBy, us(h.Placed))
	return err
}

// DeleteHold implements vault.Store.
func (s *Store) DeleteHold(ctx context.Context, tenant, subject string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM legal_holds WHERE tenant = $1 AND subject = $2`, tenant, subject)
	return tag.RowsAffected() > 0, err
}

// Hold implements vault.Store.
func (s *Store) Hold(ctx context.Context, tenant, subject string) (vault.Hold, error) {
	h := vault.Hold{Tenant: tenant, Subject: subject}
	var p int64
	err := s.pool.QueryRow(ctx, `SELECT reason, placed_by, placed_us FROM legal_holds WHERE tenant = $1 AND subject = $2`, tenant, subject).Scan(&h.Reason, &h.PlacedBy, &p)
	h.Placed = fromUS(p)
	return h, notFound(err, vault.ErrNotFound)
}

// DeletePayloadsCreatedBefore implements vault.Store.
func (s *Store) DeletePayloadsCreatedBefore(ctx context.Context, tenant, class string, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM payloads WHERE created_us < $1 AND ($2 = '' OR tenant = $2) AND ($3 = '' OR class = $3)`, before.UnixMicro(), tenant, class)
	if err != nil {
		return 0, fmt.Errorf("delete old payloads: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// PayloadStats implements vault.Store.
func (s *Store) PayloadStats(ctx context.Context) ([]vault.PayloadStat, error) {
	rows, err := s.pool.Query(ctx, `SELECT tenant, class, kind, COUNT(*) FROM payloads GROUP BY tenant, class, kind ORDER BY tenant, class, kind`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []vault.PayloadStat
	for rows.Next() {
		var p vault.PayloadStat
		if err := rows.Scan(&p.Tenant, &p.Class, &p.Kind, &p.Count); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// VaultSecretNames implements vault.Store.
func (s *Store) VaultSecretNames(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT name FROM vault_secrets ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
