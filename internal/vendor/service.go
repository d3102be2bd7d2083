package vendor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// Ledger event types this package appends.
const (
	EventRegistered = "vendor.registered"
	EventReviewed   = "vendor.reviewed"
	EventAlert      = "vendor.alert"
)

// MaxDocuments caps the documents of one review, which keeps its ledger
// event well under the event size limit.
const MaxDocuments = 50

// Service runs reviews against the registry and records each one in the
// ledger.
type Service struct {
	Store  Store
	Ledger ledger.Appender
	Reader Reader
	Policy Policy
	// Now defaults to time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// RegisterVendor adds a vendor and records a vendor.registered event.
func (s *Service) RegisterVendor(ctx context.Context, tenant string, actor ledger.Actor, v Vendor) (Vendor, error) {
	v.Tenant = tenant
	if v.ID == "" {
		v.ID = newID("vnd")
	}
	if err := v.normalize(); err != nil {
		return Vendor{}, err
	}
	v.CreatedAt = s.now()
	conflict := fmt.Errorf("vendor %q: %w in this tenant; pick another name or update the existing vendor", v.Name, ErrConflict)
	if _, err := s.VendorByName(ctx, tenant, v.Name); err == nil {
		return Vendor{}, conflict
	}
	body := map[string]any{"vendor_id": v.ID, "name": v.Name, "providers": nonNil(v.Providers)}
	e, err := ledger.NewEvent(EventRegistered, tenant, actor, body, ledger.Ref{Kind: "vendor", ID: v.ID})
	if err == nil {
		err = e.Validate()
	}
	if err != nil {
		return Vendor{}, err
	}
	// The ledger is the record of truth, so the event comes first.
	if _, err := s.Ledger.Append(ctx, e); err != nil {
		return Vendor{}, fmt.Errorf("record %s: %w", EventRegistered, err)
	}
	if err := s.Store.CreateVendor(ctx, v); err != nil {
		if errors.Is(err, ErrConflict) {
			return Vendor{}, conflict
		}
		return Vendor{}, fmt.Errorf("store vendor: %w", err)
	}
	return v, nil
}

// VendorByName finds a vendor by name, ignoring case.
func (s *Service) VendorByName(ctx context.Context, tenant, name string) (Vendor, error) {
	vs, err := s.Store.Vendors(ctx, tenant)
	if err != nil {
		return Vendor{}, err
	}
	for _, v := range vs {
		if strings.EqualFold(v.Name, strings.TrimSpace(name)) {
			return v, nil
		}
	}
	return Vendor{}, fmt.Errorf("vendor %q: %w", name, ErrNotFound)
}

// Review reviews a packet for a registered vendor, appends the
// vendor.reviewed event and stores the review with its documents. The
// event is appended first: a review that is not in the ledger is not kept.
func (s *Service) Review(ctx context.Context, tenant string, actor ledger.Actor, vendorID string, inputs []Input, asOf time.Time) (*Review, error) {
	if len(inputs) > MaxDocuments {
		return nil, fmt.Errorf("%d documents in one review; the limit is %d, so split the packet", len(inputs), MaxDocuments)
	}
	v, err := s.Store.Vendor(ctx, tenant, vendorID)
	if err != nil {
		return nil, fmt.Errorf("vendor %s: %w", vendorID, err)
	}
	prior, err := s.Store.Reviews(ctx, tenant, vendorID)
	if err != nil {
		return nil, fmt.Errorf("load earlier reviews: %w", err)
	}
	// The review counts as current for a year from its date, so the date
	// may be backdated to when the packet was read but not set ahead.
	if asOf.IsZero() {
		asOf = s.now()
	} else if day(asOf).After(day(s.now())) {
		return nil, fmt.Errorf("%w: the review date %s is in the future; leave it out to review as of today", ErrInvalid, asOf.Format(dateLayout))
	}
	r, err := Analyze(ctx, &s.Reader, s.Policy, inputs, asOf, prior)
	if err != nil {
		return nil, err
	}
	r.ID, r.Tenant, r.VendorID, r.Vendor = newID("rev"), tenant, v.ID, v.Name
	r.CreatedAt, r.Actor = s.now(), actor
	r.Clauses = clauses(s.Policy.withDefaults().Clauses, v.Name, r.RedFlags)
	e, err := ledger.NewEvent(EventReviewed, tenant, actor, reviewedBody(r),
		ledger.Ref{Kind: "vendor", ID: v.ID}, ledger.Ref{Kind: "vendor_review", ID: r.ID})
	if err != nil {
		return nil, err
	}
	idx, err := s.Ledger.Append(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("record %s: %w", EventReviewed, err)
	}
	r.LedgerIndex = &idx
	if err := s.Store.AddReview(ctx, *r, documentsOf(r)); err != nil {
		return nil, fmt.Errorf("store review %s (ledger entry %d): %w", r.ID, idx, err)
	}
	return r, nil
}

// reviewedDoc is one document in a vendor.reviewed event.
type reviewedDoc struct {
	Digest   string   `json:"digest"`
	Kind     Kind     `json:"kind"`
	Status   string   `json:"status"`
	RedFlags []string `json:"red_flags"`
}

// reviewedBody is the body of a vendor.reviewed event: digests, kinds,
// verdict, answers and red-flag codes. It never holds document text, file
// names or quotes.
func reviewedBody(r *Review) map[string]any {
	docs := make([]reviewedDoc, len(r.Documents))
	for i, d := range r.Documents {
		docs[i] = reviewedDoc{Digest: d.Digest, Kind: d.Kind, Status: d.Status, RedFlags: nonNil(d.RedFlags)}
	}
	codes := make([]string, len(r.RedFlags))
	for i, f := range r.RedFlags {
		codes[i] = f.Code
	}
	answers := map[string]string{}
	for _, q := range r.Questions {
		answers[q.ID] = q.Answer
	}
	return map[string]any{
		"review_id": r.ID,
		"vendor_id": r.VendorID,
		"as_of":     r.AsOf,
		"verdict":   r.Verdict,
		// When the report's coverage goes stale, "" if the packet held no
		// SOC 2 or SOC 3 report: the controls count a review as current
		// only until then.
		"covered_until": r.Coverage.StaleOn,
		"documents":     docs,
		"red_flags":     codes,
		"answers":       answers,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
