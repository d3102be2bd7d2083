package vendor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// Vendor is a company whose security packet is reviewed.
type Vendor struct {
	ID      string `json:"id"`
	Tenant  string `json:"tenant"`
	Name    string `json:"name"`
	Website string `json:"website,omitempty"`
	// Providers are the gateway provider names (such as "openai") this
	// vendor stands behind; each needs a current review.
	Providers []string  `json:"providers,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Document is a reviewed file as the registry keeps it: its digest and
// what the review found, never its text.
type Document struct {
	ID         string    `json:"id"`
	Tenant     string    `json:"tenant"`
	VendorID   string    `json:"vendor_id"`
	ReviewID   string    `json:"review_id"`
	Name       string    `json:"name"`
	Digest     string    `json:"digest"`
	Size       int64     `json:"size"`
	Kind       Kind      `json:"kind"`
	Status     string    `json:"status"`
	PeriodEnd  string    `json:"period_end,omitempty"`
	ReportDate string    `json:"report_date,omitempty"`
	UploadedAt time.Time `json:"uploaded_at"`
}

// Store keeps vendors, their documents and their reviews. Implementations
// return copies, so callers may change what they get.
type Store interface {
	// CreateVendor fails with ErrConflict when the ID or, case-insensitively,
	// the name is taken in the tenant.
	CreateVendor(ctx context.Context, v Vendor) error
	// UpdateVendor replaces a vendor; ErrNotFound if it does not exist.
	UpdateVendor(ctx context.Context, v Vendor) error
	Vendor(ctx context.Context, tenant, id string) (Vendor, error)
	// Vendors lists a tenant's vendors by name.
	Vendors(ctx context.Context, tenant string) ([]Vendor, error)
	// AddReview stores a review and the documents it read, atomically.
	AddReview(ctx context.Context, r Review, docs []Document) error
	Review(ctx context.Context, tenant, id string) (Review, error)
	// Reviews lists a vendor's reviews, newest first.
	Reviews(ctx context.Context, tenant, vendorID string) ([]Review, error)
	// Documents lists a vendor's documents, newest first.
	Documents(ctx context.Context, tenant, vendorID string) ([]Document, error)
}

// Store errors.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
	ErrInvalid  = errors.New("invalid vendor")
)

var providerRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// newID returns a random identifier with a type prefix.
func newID(prefix string) string {
	b := make([]byte, 10)
	rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// normalize validates a vendor and cleans its fields.
func (v *Vendor) normalize() error {
	v.Name = strings.TrimSpace(v.Name)
	if v.Name == "" || len(v.Name) > 200 || strings.IndexFunc(v.Name, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: the name must be 1-200 printable characters", ErrInvalid)
	}
	if v.Website != "" {
		u, err := url.Parse(v.Website)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("%w: the website must be an http or https URL", ErrInvalid)
		}
	}
	seen := map[string]bool{}
	out := v.Providers[:0]
	for _, p := range v.Providers {
		p = strings.ToLower(strings.TrimSpace(p))
		if !providerRe.MatchString(p) {
			return fmt.Errorf("%w: provider %q must be a gateway provider name such as \"openai\"", ErrInvalid, p)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	v.Providers = out
	return nil
}

// documentsOf turns a review's documents into registry records.
func documentsOf(r *Review) []Document {
	out := make([]Document, len(r.Documents))
	for i, d := range r.Documents {
		out[i] = Document{
			ID: newID("doc"), Tenant: r.Tenant, VendorID: r.VendorID, ReviewID: r.ID,
			Name: d.Name, Digest: d.Digest, Size: d.Size, Kind: d.Kind, Status: d.Status, UploadedAt: r.CreatedAt,
		}
		if d.Fields != nil {
			out[i].PeriodEnd = fieldValue(firstField(d.Fields.PeriodEnd, d.Fields.AsOf))
			out[i].ReportDate = fieldValue(d.Fields.ReportDate)
		}
	}
	return out
}
