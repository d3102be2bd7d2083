package vendor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// Calendar entry kinds.
const (
	DueReportStale  = "report_stale"
	DueBridgeLetter = "bridge_letter_due"
	DuePenTest      = "pentest_stale"
	DueNoReview     = "no_review"
)

// Calendar entry statuses.
const (
	DueOK      = "ok"
	DueSoon    = "due_soon"
	DueExpired = "expired"
)

// CalendarEntry is a renewal date of one vendor.
type CalendarEntry struct {
	VendorID string `json:"vendor_id"`
	Vendor   string `json:"vendor"`
	Kind     string `json:"kind"`
	Due      string `json:"due"`
	Status   string `json:"status"`
	ReviewID string `json:"review_id,omitempty"`
	Detail   string `json:"detail"`
}

// Calendar lists every vendor's renewal dates as of a day, soonest first:
// when the latest report's coverage goes stale (its period end plus the
// policy's months), when a bridge letter falls due (the day the report's
// period ends, or when the latest bridge letter runs out), and when the
// penetration test gets too old. A vendor never reviewed is due now.
func (s *Service) Calendar(ctx context.Context, tenant string, asOf time.Time) ([]CalendarEntry, error) {
	policy := s.Policy.withDefaults()
	asOf = day(asOf)
	vendors, err := s.Store.Vendors(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []CalendarEntry
	status := func(due time.Time) string {
		switch {
		case !due.After(asOf):
			return DueExpired
		case !due.After(asOf.AddDate(0, 0, policy.AlertDays)):
			return DueSoon
		}
		return DueOK
	}
	for _, v := range vendors {
		reviews, err := s.Store.Reviews(ctx, tenant, v.ID)
		if err != nil {
			return nil, err
		}
		if len(reviews) == 0 {
			out = append(out, CalendarEntry{VendorID: v.ID, Vendor: v.Name, Kind: DueNoReview, Due: day(v.CreatedAt).Format(dateLayout), Status: DueExpired, Detail: "no review yet; upload the vendor's SOC 2 packet"})
			continue
		}
		r := reviews[0]
		c := r.Coverage
		add := func(kind, date, detail string) {
			t, ok := parseDate(date)
			if !ok {
				return
			}
			out = append(out, CalendarEntry{VendorID: v.ID, Vendor: v.Name, Kind: kind, Due: date, Status: status(t), ReviewID: r.ID, Detail: detail})
		}
		if c.StaleOn == "" {
			out = append(out, CalendarEntry{VendorID: v.ID, Vendor: v.Name, Kind: DueReportStale, Due: r.AsOf, Status: DueExpired, ReviewID: r.ID, Detail: "the latest review found no SOC 2 or SOC 3 report"})
		} else {
			add(DueReportStale, c.StaleOn, fmt.Sprintf("%s coverage ended %s", c.ReportKind.Label(), c.PeriodEnd))
			if c.BridgeThrough != "" {
				add(DueBridgeLetter, c.BridgeDueOn, "the bridge letter covers up to "+c.BridgeThrough)
			} else {
				add(DueBridgeLetter, c.BridgeDueOn, "a bridge letter is needed from the day after the period ends ("+c.PeriodEnd+")")
			}
		}
		if c.PenTestDueOn != "" {
			add(DuePenTest, c.PenTestDueOn, "penetration test dated "+c.PenTestDate)
		}
	}
	slices.SortStableFunc(out, func(a, b CalendarEntry) int {
		if c := strings.Compare(a.Due, b.Due); c != 0 {
			return c
		}
		return strings.Compare(a.Vendor, b.Vendor)
	})
	return out, nil
}

// Alerts returns the calendar entries that are due soon or expired and
// records each as a vendor.alert event, so controls and auditors see the
// warning before and at expiry.
func (s *Service) Alerts(ctx context.Context, tenant string, actor ledger.Actor, asOf time.Time) ([]CalendarEntry, error) {
	entries, err := s.Calendar(ctx, tenant, asOf)
	if err != nil {
		return nil, err
	}
	var out []CalendarEntry
	for _, e := range entries {
		if e.Status == DueOK {
			continue
		}
		body := map[string]any{"vendor_id": e.VendorID, "alert": e.Kind, "due": e.Due, "status": e.Status, "as_of": day(asOf).Format(dateLayout)}
		if e.ReviewID != "" {
			body["review_id"] = e.ReviewID
		}
		ev, err := ledger.NewEvent(EventAlert, tenant, actor, body, ledger.Ref{Kind: "vendor", ID: e.VendorID})
		if err != nil {
			return nil, err
		}
		if _, err := s.Ledger.Append(ctx, ev); err != nil {
			return nil, fmt.Errorf("record %s: %w", EventAlert, err)
		}
		out = append(out, e)
	}
	return out, nil
}
