package privacy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/records"
)

// TenantRegions restricts where a tenant's data may be sent.
type TenantRegions struct {
	Tenant  string   `json:"tenant"`
	Allowed []string `json:"allowed"` // empty means anywhere
	// MaxClass, if set, is the tenant's own classification: requests are
	// treated as at least this sensitive.
	Class Class `json:"class,omitempty"`
}

// Destination is a provider as the privacy rules see it.
type Destination struct {
	Name     string `json:"name"`
	Region   string `json:"region"`
	MaxClass Class  `json:"max_class"`
}

// SetRegions restricts a tenant to regions (empty allows all) and records
// the change.
func (s *Service) SetRegions(ctx context.Context, actor ledger.Actor, tr TenantRegions) error {
	for _, r := range tr.Allowed {
		if r == "" || strings.ContainsAny(r, " \t") {
			return fmt.Errorf("%w: region %q is not a region name such as eu-west-1 or us", ErrInvalid, r)
		}
	}
	if tr.Class != "" {
		if _, err := ParseClass(string(tr.Class)); err != nil {
			return err
		}
	}
	if _, err := s.log.Append(ctx, ledger.MustEvent("tenant.regions_set", tr.Tenant, actor, map[string]any{"allowed": tr.Allowed, "class": tr.Class})); err != nil {
		return fmt.Errorf("record region policy: %w", err)
	}
	if _, err := s.regions.Mutate(ctx, tr.Tenant, "regions", func(old *TenantRegions) error { *old = tr; return nil }); errors.Is(err, records.ErrNotFound) {
		return s.regions.Create(ctx, tr.Tenant, "regions", tr)
	} else {
		return err
	}
}

// Regions returns a tenant's region policy.
func (s *Service) Regions(ctx context.Context, tenant string) (TenantRegions, error) {
	tr, err := s.regions.Get(ctx, tenant, "regions")
	if errors.Is(err, records.ErrNotFound) {
		return TenantRegions{Tenant: tenant}, nil
	}
	return tr, err
}

// Decision is the privacy verdict on sending a request to a destination.
type Decision struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason,omitempty"`
}

// Check decides whether data of class c from tenant may go to d.
func (s *Service) Check(ctx context.Context, tenant string, c Class, d Destination) (Decision, error) {
	tr, err := s.Regions(ctx, tenant)
	if err != nil {
		return Decision{}, err
	}
	if tr.Class != "" && tr.Class.Exceeds(c) {
		c = tr.Class
	}
	if d.MaxClass != "" && c.Exceeds(d.MaxClass) {
		return Decision{Reason: fmt.Sprintf("%s data may not go to provider %s (allowed up to %s)", c, d.Name, d.MaxClass)}, nil
	}
	if len(tr.Allowed) > 0 && !slices.Contains(tr.Allowed, d.Region) {
		return Decision{Reason: fmt.Sprintf("tenant %s may not send data to region %q of provider %s", tenant, d.Region, d.Name)}, nil
	}
	return Decision{Allowed: true}, nil
}

// Flow is one line of the data-flow description.
type Flow struct {
	Tenant       string   `json:"tenant"`
	Providers    []string `json:"providers"`
	Regions      []string `json:"regions"`
	Restrictions string   `json:"restrictions"`
}

// DataFlows lists, per tenant, which providers and regions its data can
// reach under the current policies.
func (s *Service) DataFlows(ctx context.Context, tenants []string, dests []Destination) ([]Flow, error) {
	var out []Flow
	for _, t := range tenants {
		tr, err := s.Regions(ctx, t)
		if err != nil {
			return nil, err
		}
		f := Flow{Tenant: t, Providers: []string{}, Regions: []string{}, Restrictions: "none"}
		if len(tr.Allowed) > 0 {
			f.Restrictions = "regions " + strings.Join(tr.Allowed, ", ")
		}
		for _, d := range dests {
			if len(tr.Allowed) > 0 && !slices.Contains(tr.Allowed, d.Region) {
				continue
			}
			f.Providers = append(f.Providers, d.Name)
			if !slices.Contains(f.Regions, d.Region) {
				f.Regions = append(f.Regions, d.Region)
			}
		}
		sort.Strings(f.Regions)
		out = append(out, f)
	}
	return out, nil
}
