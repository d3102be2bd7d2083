package gatewaytest

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/attest-ai/attest/internal/records"
)

// Records is an in-memory records.Store with the revision rules of the
// real ones: create at revision 0, replace only the stored revision.
type Records struct {
	mu   sync.Mutex
	docs map[string]records.Doc
}

// NewRecords returns an empty store.
func NewRecords() *Records { return &Records{docs: map[string]records.Doc{}} }

func docKey(kind, tenant, id string) string { return kind + "\x00" + tenant + "\x00" + id }

// PutDoc implements records.Store.
func (s *Records) PutDoc(_ context.Context, d records.Doc) (records.Doc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := docKey(d.Kind, d.Tenant, d.ID)
	cur, ok := s.docs[k]
	now := time.Now().UTC()
	switch {
	case d.Rev == 0 && ok:
		return records.Doc{}, records.ErrExists
	case d.Rev == 0:
		d.Created = now
	case !ok:
		return records.Doc{}, records.ErrNotFound
	case cur.Rev != d.Rev:
		return records.Doc{}, records.ErrConflict
	default:
		d.Created = cur.Created
	}
	d.Rev++
	d.Updated = now
	d.Data = append([]byte(nil), d.Data...)
	s.docs[k] = d
	return d, nil
}

// GetDoc implements records.Store.
func (s *Records) GetDoc(_ context.Context, kind, tenant, id string) (records.Doc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[docKey(kind, tenant, id)]
	if !ok {
		return records.Doc{}, records.ErrNotFound
	}
	return d, nil
}

// ListDocs implements records.Store.
func (s *Records) ListDocs(_ context.Context, kind, tenant, after string, limit int) ([]records.Doc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []records.Doc
	for _, d := range s.docs {
		if d.Kind == kind && (tenant == "" || d.Tenant == tenant) && d.ID > after {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// DeleteDoc implements records.Store.
func (s *Records) DeleteDoc(_ context.Context, kind, tenant, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := docKey(kind, tenant, id)
	if _, ok := s.docs[k]; !ok {
		return records.ErrNotFound
	}
	delete(s.docs, k)
	return nil
}

var _ records.Store = (*Records)(nil)
