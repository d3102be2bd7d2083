package vendor

import (
	"context"
	"time"
)

// VendorSummary is a vendor with its latest review, for listings.
type VendorSummary struct {
	Vendor
	LatestReview *ReviewSummary `json:"latest_review,omitempty"`
}

// ReviewSummary is the short form of a review.
type ReviewSummary struct {
	ID        string    `json:"id"`
	AsOf      string    `json:"as_of"`
	CreatedAt time.Time `json:"created_at"`
	Verdict   string    `json:"verdict"`
	RedFlags  []string  `json:"red_flags"`
	Documents int       `json:"documents"`
	Coverage  Coverage  `json:"coverage"`
}

func summarize(r Review) ReviewSummary {
	codes := make([]string, len(r.RedFlags))
	for i, f := range r.RedFlags {
		codes[i] = f.Code
	}
	return ReviewSummary{ID: r.ID, AsOf: r.AsOf, CreatedAt: r.CreatedAt, Verdict: r.Verdict, RedFlags: codes, Documents: len(r.Documents), Coverage: r.Coverage}
}

// Summaries lists a tenant's vendors with their latest reviews.
func (s *Service) Summaries(ctx context.Context, tenant string) ([]VendorSummary, error) {
	vs, err := s.Store.Vendors(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]VendorSummary, len(vs))
	for i, v := range vs {
		out[i].Vendor = v
		rs, err := s.Store.Reviews(ctx, tenant, v.ID)
		if err != nil {
			return nil, err
		}
		if len(rs) > 0 {
			sum := summarize(rs[0])
			out[i].LatestReview = &sum
		}
	}
	return out, nil
}
