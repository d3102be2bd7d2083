package vendor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ProviderStatus says whether a model provider configured in the gateway
// is backed by a vendor with a current review. A model provider is a
// subservice organization of the service attest protects, so one without
// a current review is a failing control.
type ProviderStatus struct {
	Provider     string `json:"provider"`
	VendorID     string `json:"vendor_id,omitempty"`
	Vendor       string `json:"vendor,omitempty"`
	ReviewID     string `json:"review_id,omitempty"`
	Verdict      string `json:"verdict,omitempty"`
	CoveredUntil string `json:"covered_until,omitempty"`
	Pass         bool   `json:"pass"`
	Reason       string `json:"reason"`
}

// CheckProviders checks each gateway provider name against the vendor
// registry as of a day.
func (s *Service) CheckProviders(ctx context.Context, tenant string, providers []string, asOf time.Time) ([]ProviderStatus, error) {
	asOf = day(asOf)
	vendors, err := s.Store.Vendors(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]ProviderStatus, 0, len(providers))
	for _, name := range providers {
		name = strings.ToLower(strings.TrimSpace(name))
		st := ProviderStatus{Provider: name}
		i := slices.IndexFunc(vendors, func(v Vendor) bool { return slices.Contains(v.Providers, name) })
		if i < 0 {
			st.Reason = fmt.Sprintf("no vendor record links provider %q; register the provider's company as a vendor with this provider and review its SOC 2", name)
			out = append(out, st)
			continue
		}
		v := vendors[i]
		st.VendorID, st.Vendor = v.ID, v.Name
		reviews, err := s.Store.Reviews(ctx, tenant, v.ID)
		if err != nil {
			return nil, err
		}
		if len(reviews) == 0 {
			st.Reason = fmt.Sprintf("vendor %s has no review; upload its SOC 2 packet", v.Name)
			out = append(out, st)
			continue
		}
		r := reviews[0]
		st.ReviewID, st.Verdict, st.CoveredUntil = r.ID, r.Verdict, r.Coverage.StaleOn
		stale, ok := parseDate(r.Coverage.StaleOn)
		switch {
		case !ok:
			st.Reason = fmt.Sprintf("the latest review of %s found no SOC 2 or SOC 3 report", v.Name)
		case !stale.After(asOf):
			st.Reason = fmt.Sprintf("the latest report of %s went stale on %s; get its current report", v.Name, r.Coverage.StaleOn)
		default:
			st.Pass = true
			st.Reason = fmt.Sprintf("%s is covered until %s (review verdict: %s)", v.Name, r.Coverage.StaleOn, r.Verdict)
		}
		out = append(out, st)
	}
	return out, nil
}
