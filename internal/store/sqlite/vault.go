package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/attest-ai/attest/internal/vault"
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

// PutSubjectKey implements vault.Store.
func (s *Store) PutSubjectKey(ctx context.Context, k vault.SubjectKey) (vault.SubjectKey, error) {
	if _, err := s.keys.ExecContext(ctx, `INSERT INTO subject_keys (tenant, subject, wrapped, master_id, created_us) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		k.Tenant, k.Subject, k.Wrapped, k.MasterID, us(k.Created)); err != nil {
		return vault.SubjectKey{}, err
	}
	return s.SubjectKey(ctx, k.Tenant, k.Subject)
}

// SubjectKey implements vault.Store.
func (s *Store) SubjectKey(ctx context.Context, tenant, subject string) (vault.SubjectKey, error) {
	k := vault.SubjectKey{Tenant: tenant, Subject: subject}
	var c int64
	err := s.keys.QueryRowContext(ctx, `SELECT wrapped, master_id, created_us FROM subject_keys WHERE tenant = ? AND subject = ?`, tenant, subject).Scan(&k.Wrapped, &k.MasterID, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return k, vault.ErrNotFound
	}
	k.Created = fromUS(c)
	return k, err
}

// DeleteSubjectKey implements vault.Store. secure_delete overwrites the
// freed page content; the rollback journal is deleted on commit.
func (s *Store) DeleteSubjectKey(ctx context.Context, tenant, subject string) (bool, error) {
	res, err := s.keys.ExecContext(ctx, `DELETE FROM subject_keys WHERE tenant = ? AND subject = ?`, tenant, subject)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// SubjectKeys implements vault.Store, paging by tenant and subject.
func (s *Store) SubjectKeys(ctx context.Context, after string, limit int) ([]vault.SubjectKey, error) {
	rows, err := s.keys.QueryContext(ctx, `SELECT tenant, subject, wrapped, master_id, created_us FROM subject_keys WHERE tenant || char(1) || subject > ? ORDER BY tenant || char(1) || subject LIMIT ?`, after, limit)
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
	_, err := s.keys.ExecContext(ctx, `UPDATE subject_keys SET wrapped = ?, master_id = ? WHERE tenant = ? AND subject = ?`, k.Wrapped, k.MasterID, k.Tenant, k.Subject)
	return err
}

// VaultSecret implements vault.Store.
func (s *Store) VaultSecret(ctx context.Context, name string) ([]byte, string, error) {
	var w []byte
	var mid string
	err := s.keys.QueryRowContext(ctx, `SELECT wrapped, master_id FROM vault_secrets WHERE name = ?`, name).Scan(&w, &mid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", vault.ErrNotFound
	}
	return w, mid, err
}

// PutVaultSecret implements vault.Store; the first writer wins.
func (s *Store) PutVaultSecret(ctx context.Context, name string, wrapped []byte, masterID string) error {
	_, err := s.keys.ExecContext(ctx, `INSERT INTO vault_secrets (name, wrapped, master_id) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET wrapped = excluded.wrapped, master_id = excluded.master_id`, name, wrapped, masterID)
	return err
}

// PutPayload implements vault.Store.
func (s *Store) PutPayload(ctx context.Context, p vault.Payload) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO payloads (ref, tenant, subject, kind, class, nonce, ciphertext, created_us, expires_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
	p, err := scanPayload(s.r.QueryRowContext(ctx, `SELECT `+payloadCols+` FROM payloads WHERE ref = ?`, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return p, vault.ErrNotFound
	}
	return p, err
}

// SubjectPayloads implements vault.Store.
func (s *Store) SubjectPayloads(ctx context.Context, tenant, subject string) ([]vault.Payload, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+payloadCols+` FROM payloads WHERE tenant = ? AND subject = ? ORDER BY created_us`, tenant, subject)
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
	res, err := s.w.ExecContext(ctx, `DELETE FROM payloads WHERE tenant = ? AND subject = ?`, tenant, subject)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeleteExpiredPayloads implements vault.Store. Empty tenant or class match
// all.
func (s *Store) DeleteExpiredPayloads(ctx context.Context, tenant, class string, before time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM payloads WHERE expires_us > 0 AND expires_us <= ? AND (? = '' OR tenant = ?) AND (? = '' OR class = ?)`,
		before.UnixMicro(), tenant, tenant, class, class)
	if err != nil {
		return 0, fmt.Errorf("delete expired payloads: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// PutHold implements vault.Store.
func (s *Store) PutHold(ctx context.Context, h vault.Hold) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO legal_holds (tenant, subject, reason, placed_by, placed_us) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (tenant, subject) DO UPDATE SET reason = excluded.reason, placed_by = excluded.placed_by, placed_us = excluded.placed_us`,
		h.Tenant, h.Subject, h.Reason, h.PlacedBy, us(h.Placed))
	return err
}

// DeleteHold implements vault.Store.
func (s *Store) DeleteHold(ctx context.Context, tenant, subject string) (bool, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM legal_holds WHERE tenant = ? AND subject = ?`, tenant, subject)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Hold implements vault.Store.
func (s *Store) Hold(ctx context.Context, tenant, subject string) (vault.Hold, error) {
	h := vault.Hold{Tenant: tenant, Subject: subject}
	var p int64
	err := s.r.QueryRowContext(ctx, `SELECT reason, placed_by, placed_us FROM legal_holds WHERE tenant = ? AND subject = ?`, tenant, subject).Scan(&h.Reason, &h.PlacedBy, &p)
	if errors.Is(err, sql.ErrNoRows) {
		return h, vault.ErrNotFound
	}
	h.Placed = fromUS(p)
	return h, err
}

// DeletePayloadsCreatedBefore implements vault.Store.
func (s *Store) DeletePayloadsCreatedBefore(ctx context.Context, tenant, class string, before time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM payloads WHERE created_us < ? AND (? = '' OR tenant = ?) AND (? = '' OR class = ?)`,
		before.UnixMicro(), tenant, tenant, class, class)
	if err != nil {
		return 0, fmt.Errorf("delete old payloads: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// PayloadStats implements vault.Store.
func (s *Store) PayloadStats(ctx context.Context) ([]vault.PayloadStat, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT tenant, class, kind, COUNT(*) FROM payloads GROUP BY tenant, class, kind ORDER BY tenant, class, kind`)
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
	rows, err := s.keys.QueryContext(ctx, `SELECT name FROM vault_secrets ORDER BY name`)
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
