package vendor

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
)

// MemStore is an in-memory Store for tests and single-process use.
type MemStore struct {
	mu      sync.Mutex
	vendors map[string]Vendor // tenant + "/" + id
	reviews map[string][]byte // tenant + "/" + id, JSON so copies share nothing
	order   []string          // review keys in insertion order
	docs    []Document
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{vendors: map[string]Vendor{}, reviews: map[string][]byte{}}
}

func key(tenant, id string) string { return tenant + "/" + id }

func copyVendor(v Vendor) Vendor {
	v.Providers = slices.Clone(v.Providers)
	return v
}

// CreateVendor implements Store.
func (m *MemStore) CreateVendor(_ context.Context, v Vendor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.vendors[key(v.Tenant, v.ID)]; ok {
		return ErrConflict
	}
	for _, o := range m.vendors {
		if o.Tenant == v.Tenant && strings.EqualFold(o.Name, v.Name) {
			return ErrConflict
		}
	}
	m.vendors[key(v.Tenant, v.ID)] = copyVendor(v)
	return nil
}

// UpdateVendor implements Store.
func (m *MemStore) UpdateVendor(_ context.Context, v Vendor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.vendors[key(v.Tenant, v.ID)]; !ok {
		return ErrNotFound
	}
	m.vendors[key(v.Tenant, v.ID)] = copyVendor(v)
	return nil
}

// Vendor implements Store.
func (m *MemStore) Vendor(_ context.Context, tenant, id string) (Vendor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.vendors[key(tenant, id)]
	if !ok {
		return Vendor{}, ErrNotFound
	}
	return copyVendor(v), nil
}

// Vendors implements Store.
func (m *MemStore) Vendors(_ context.Context, tenant string) ([]Vendor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Vendor
	for _, v := range m.vendors {
		if v.Tenant == tenant {
			out = append(out, copyVendor(v))
		}
	}
	slices.SortFunc(out, func(a, b Vendor) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}

// AddReview implements Store.
func (m *MemStore) AddReview(_ context.Context, r Review, docs []Document) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := key(r.Tenant, r.ID)
	if _, ok := m.reviews[k]; ok {
		return ErrConflict
	}
	m.reviews[k] = raw
	m.order = append(m.order, k)
	m.docs = append(m.docs, docs...)
	return nil
}

// Review implements Store.
func (m *MemStore) Review(_ context.Context, tenant, id string) (Review, error) {
	m.mu.Lock()
	raw, ok := m.reviews[key(tenant, id)]
	m.mu.Unlock()
	if !ok {
		return Review{}, ErrNotFound
	}
	var r Review
	err := json.Unmarshal(raw, &r)
	return r, err
}

// Reviews implements Store.
func (m *MemStore) Reviews(_ context.Context, tenant, vendorID string) ([]Review, error) {
	m.mu.Lock()
	var raws [][]byte
	for i := len(m.order) - 1; i >= 0; i-- {
		raws = append(raws, m.reviews[m.order[i]])
	}
	m.mu.Unlock()
	var out []Review
	for _, raw := range raws {
		var r Review
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, err
		}
		if r.Tenant == tenant && r.VendorID == vendorID {
			out = append(out, r)
		}
	}
	return out, nil
}

// Documents implements Store.
func (m *MemStore) Documents(_ context.Context, tenant, vendorID string) ([]Document, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Document
	for i := len(m.docs) - 1; i >= 0; i-- {
		if d := m.docs[i]; d.Tenant == tenant && d.VendorID == vendorID {
			out = append(out, d)
		}
	}
	return out, nil
}
