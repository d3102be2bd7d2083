package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/console"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/vendor"
)

// consoleVendors shows vendor review in the console; uploads run a real
// review of the packet.
type consoleVendors struct {
	svc *vendor.Service
	now func() time.Time
}

var _ console.VendorsSource = consoleVendors{}

// Vendors implements console.VendorsSource.
func (v consoleVendors) Vendors(ctx context.Context, tenant string) ([]console.VendorSummary, error) {
	vs, err := v.svc.Store.Vendors(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]console.VendorSummary, len(vs))
	for i, x := range vs {
		// Vendors carry no risk tier; the providers they back say why they
		// matter.
		out[i] = console.VendorSummary{ID: x.ID, Name: x.Name, Tier: strings.Join(x.Providers, ", ")}
	}
	return out, nil
}

// Reviews implements console.VendorsSource, newest first.
func (v consoleVendors) Reviews(ctx context.Context, tenant string) ([]console.VendorReviewSummary, error) {
	vs, err := v.svc.Store.Vendors(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []console.VendorReviewSummary
	for _, x := range vs {
		rs, err := v.svc.Store.Reviews(ctx, tenant, x.ID)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			out = append(out, reviewSummary(r, x.Name))
		}
	}
	slices.SortFunc(out, func(a, b console.VendorReviewSummary) int { return b.Reviewed.Compare(a.Reviewed) })
	return out, nil
}

func reviewSummary(r vendor.Review, name string) console.VendorReviewSummary {
	if name == "" {
		name = r.Vendor
	}
	return console.VendorReviewSummary{ID: r.ID, Vendor: name, Reviewed: r.CreatedAt, Verdict: r.Verdict, RedFlags: len(r.RedFlags)}
}

// Review implements console.VendorsSource.
func (v consoleVendors) Review(ctx context.Context, tenant, id string) (console.VendorReview, error) {
	r, err := v.svc.Store.Review(ctx, tenant, id)
	if err != nil {
		return console.VendorReview{}, consoleErr(err, vendor.ErrNotFound)
	}
	name := r.Vendor
	if x, err := v.svc.Store.Vendor(ctx, tenant, r.VendorID); err == nil {
		name = x.Name
	}
	out := console.VendorReview{VendorReviewSummary: reviewSummary(r, name), Period: period(r)}
	for _, d := range r.Documents {
		out.Documents = append(out.Documents, d.Name)
	}
	for _, f := range r.RedFlags {
		rf := console.RedFlag{Severity: f.Severity, Title: f.Title, Detail: f.Detail}
		for _, c := range f.Evidence {
			rf.Citations = append(rf.Citations, console.Citation{Document: c.Document, Page: c.Page, Quote: c.Quote})
		}
		out.Flags = append(out.Flags, rf)
	}
	return out, nil
}

// period says what the review covers, from the primary report's coverage.
func period(r vendor.Review) string {
	c := r.Coverage
	var parts []string
	if c.ReportKind != "" {
		parts = append(parts, c.ReportKind.Label())
	}
	if c.PeriodEnd != "" {
		parts = append(parts, "ending "+c.PeriodEnd)
	}
	if c.BridgeThrough != "" {
		parts = append(parts, "bridged through "+c.BridgeThrough)
	}
	if len(parts) == 0 {
		return "as of " + r.AsOf
	}
	return strings.Join(parts, ", ")
}

// Calendar implements console.VendorsSource.
func (v consoleVendors) Calendar(ctx context.Context, tenant string, asOf time.Time) ([]console.Renewal, error) {
	es, err := v.svc.Calendar(ctx, tenant, asOf)
	if err != nil {
		return nil, err
	}
	out := make([]console.Renewal, 0, len(es))
	for _, e := range es {
		due, err := time.Parse(time.DateOnly, e.Due)
		if err != nil {
			return nil, fmt.Errorf("renewal of %s has a malformed due date %q: %w", e.Vendor, e.Due, err)
		}
		what := e.Detail
		if what == "" {
			what = e.Kind
		}
		out = append(out, console.Renewal{Vendor: e.Vendor, What: what, Due: due})
	}
	return out, nil
}

// Upload implements console.VendorsSource: it reads the documents within
// the review's limits and reviews them as of today.
func (v consoleVendors) Upload(ctx context.Context, tenant string, by ledger.Actor, vendorID string, files []console.Upload) (console.VendorReviewSummary, error) {
	x, err := v.svc.Store.Vendor(ctx, tenant, vendorID)
	if err != nil {
		return console.VendorReviewSummary{}, consoleErr(err, vendor.ErrNotFound)
	}
	if len(files) > vendor.MaxDocuments {
		return console.VendorReviewSummary{}, fmt.Errorf("one review takes at most %d documents; upload fewer", vendor.MaxDocuments)
	}
	limit := v.svc.Reader.MaxFileBytes
	if limit <= 0 {
		limit = vendor.DefaultMaxFileBytes
	}
	inputs := make([]vendor.Input, 0, len(files))
	for _, f := range files {
		in, err := vendor.ReadInput(f.Name, f.Body, limit)
		if err != nil {
			return console.VendorReviewSummary{}, err
		}
		if in.Size > limit {
			return console.VendorReviewSummary{}, fmt.Errorf("%s is %d bytes and the limit is %d; split the document", in.Name, in.Size, limit)
		}
		inputs = append(inputs, in)
	}
	if len(inputs) == 0 {
		return console.VendorReviewSummary{}, errors.New("no documents were uploaded; choose the SOC report and its companions")
	}
	r, err := v.svc.Review(ctx, tenant, by, x.ID, inputs, v.now())
	if err != nil {
		return console.VendorReviewSummary{}, err
	}
	return reviewSummary(*r, x.Name), nil
}
