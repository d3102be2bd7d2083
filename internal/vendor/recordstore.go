package vendor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/attest-ai/attest/internal/records"
)

// RecordStore keeps vendors and reviews in attest's record store, so both
// SQLite and PostgreSQL serve the registry. A review and the documents it
// read are one record, which makes AddReview atomic.
type RecordStore struct {
	vendors records.Table[Vendor]
	reviews records.Table[storedReview]
}

var _ Store = (*RecordStore)(nil)

type storedReview struct {
	Review    Review     `json:"review"`
	Documents []Document `json:"documents"`
}

// NewRecordStore returns a Store over rs.
func NewRecordStore(rs records.Store) *RecordStore {
	return &RecordStore{
		vendors: records.NewTable[Vendor](rs, "vendor.vendor"),
		reviews: records.NewTable[storedReview](rs, "vendor.review"),
	}
}

func mapErr(err error) error {
	switch {
	case errors.Is(err, records.ErrNotFound):
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	case errors.Is(err, records.ErrExists):
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}

// CreateVendor implements Store.
func (s *RecordStore) CreateVendor(ctx context.Context, v Vendor) error {
	all, err := s.vendors.List(ctx, v.Tenant)
	if err != nil {
		return err
	}
	for _, o := range all {
		if strings.EqualFold(o.Name, v.Name) {
			return fmt.Errorf("%w: a vendor named %q exists", ErrConflict, o.Name)
		}
	}
	return mapErr(s.vendors.Create(ctx, v.Tenant, v.ID, v))
}

// UpdateVendor implements Store.
func (s *RecordStore) UpdateVendor(ctx context.Context, v Vendor) error {
	_, err := s.vendors.Mutate(ctx, v.Tenant, v.ID, func(cur *Vendor) error { *cur = v; return nil })
	return mapErr(err)
}

// Vendor implements Store.
func (s *RecordStore) Vendor(ctx context.Context, tenant, id string) (Vendor, error) {
	v, err := s.vendors.Get(ctx, tenant, id)
	return v, mapErr(err)
}

// Vendors implements Store.
func (s *RecordStore) Vendors(ctx context.Context, tenant string) ([]Vendor, error) {
	vs, err := s.vendors.List(ctx, tenant)
	sort.Slice(vs, func(i, j int) bool { return strings.ToLower(vs[i].Name) < strings.ToLower(vs[j].Name) })
	return vs, err
}

// AddReview implements Store.
func (s *RecordStore) AddReview(ctx context.Context, r Review, docs []Document) error {
	return mapErr(s.reviews.Create(ctx, r.Tenant, r.ID, storedReview{Review: r, Documents: docs}))
}

// Review implements Store.
func (s *RecordStore) Review(ctx context.Context, tenant, id string) (Review, error) {
	sr, err := s.reviews.Get(ctx, tenant, id)
	return sr.Review, mapErr(err)
}

func (s *RecordStore) vendorReviews(ctx context.Context, tenant, vendorID string) ([]storedReview, error) {
	all, err := s.reviews.List(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []storedReview
	for _, sr := range all {
		if sr.Review.VendorID == vendorID {
			out = append(out, sr)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Review.CreatedAt.After(out[j].Review.CreatedAt) })
	return out, nil
}

// Reviews implements Store.
func (s *RecordStore) Reviews(ctx context.Context, tenant, vendorID string) ([]Review, error) {
	srs, err := s.vendorReviews(ctx, tenant, vendorID)
	out := make([]Review, len(srs))
	for i, sr := range srs {
		out[i] = sr.Review
	}
	return out, err
}

// Documents implements Store.
func (s *RecordStore) Documents(ctx context.Context, tenant, vendorID string) ([]Document, error) {
	srs, err := s.vendorReviews(ctx, tenant, vendorID)
	var out []Document
	for _, sr := range srs {
		out = append(out, sr.Documents...)
	}
	return out, err
}
