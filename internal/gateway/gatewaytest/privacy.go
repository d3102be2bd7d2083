package gatewaytest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/attest-ai/attest/internal/gateway"
)

// Privacy is an in-memory gateway.Privacy: opt-outs by tenant and
// pseudonym, a class and allowed regions per tenant. It applies the same
// rules as the privacy service: a request is at least as sensitive as its
// tenant's class, a provider takes nothing above its max_class, and a
// tenant restricted to regions reaches no provider outside them.
type Privacy struct {
	mu      sync.Mutex
	optOuts map[string]bool // tenant/subject/purpose
	classes map[string]string
	regions map[string][]string
	fail    error
}

// NewPrivacy returns a Privacy with no opt-outs and no restrictions.
func NewPrivacy() *Privacy {
	return &Privacy{optOuts: map[string]bool{}, classes: map[string]string{}, regions: map[string][]string{}}
}

// Purposes an end user can opt out of.
const (
	PurposeAI          = "ai_processing"
	PurposeHumanReview = "human_review"
)

// OptOut records that subject (a pseudonym) withdrew consent for purpose.
func (p *Privacy) OptOut(tenant, subject, purpose string) {
	p.mu.Lock()
	p.optOuts[tenant+"/"+subject+"/"+purpose] = true
	p.mu.Unlock()
}

// SetTenant sets a tenant's class and allowed regions (none: anywhere).
func (p *Privacy) SetTenant(tenant, class string, regions ...string) {
	p.mu.Lock()
	p.classes[tenant], p.regions[tenant] = class, regions
	p.mu.Unlock()
}

// SetFail makes every decision fail with err (nil: work again).
func (p *Privacy) SetFail(err error) {
	p.mu.Lock()
	p.fail = err
	p.mu.Unlock()
}

// Consent implements gateway.Privacy.
func (p *Privacy) Consent(_ context.Context, tenant, subject string) (gateway.Consent, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return gateway.Consent{}, p.fail
	}
	return gateway.Consent{
		AIProcessing: !p.optOuts[tenant+"/"+subject+"/"+PurposeAI],
		HumanReview:  !p.optOuts[tenant+"/"+subject+"/"+PurposeHumanReview],
	}, nil
}

var order = []string{gateway.ClassPublic, gateway.ClassInternal, gateway.ClassConfidential, gateway.ClassRestricted}

// Route implements gateway.Privacy.
func (p *Privacy) Route(_ context.Context, tenant, class string, dests []gateway.Destination) (string, []gateway.RouteDecision, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return "", nil, p.fail
	}
	tc := p.classes[tenant]
	if class == "" {
		class = tc
	}
	if class == "" {
		class = gateway.ClassConfidential
	}
	if slices.Index(order, tc) > slices.Index(order, class) {
		class = tc
	}
	allowed := p.regions[tenant]
	out := make([]gateway.RouteDecision, len(dests))
	for i, d := range dests {
		switch {
		case d.MaxClass != "" && slices.Index(order, class) > slices.Index(order, d.MaxClass):
			out[i].Reason = fmt.Sprintf("%s data may not go to provider %s (allowed up to %s)", class, d.Name, d.MaxClass)
		case len(allowed) > 0 && !slices.Contains(allowed, d.Region):
			out[i].Reason = fmt.Sprintf("tenant %s may not send data to region %q of provider %s", tenant, d.Region, d.Name)
		default:
			out[i].Allowed = true
		}
	}
	return class, out, nil
}

var _ gateway.Privacy = (*Privacy)(nil)

// Models is an in-memory gateway.ModelRegistry: each model and alias maps
// to a servable version or to the reason it is refused.
type Models struct {
	mu       sync.Mutex
	versions map[string]gateway.ModelVersion
	refusals map[string]string
}

// NewModels returns a registry that serves nothing.
func NewModels() *Models {
	return &Models{versions: map[string]gateway.ModelVersion{}, refusals: map[string]string{}}
}

// Serve makes model at alias servable as v.
func (m *Models) Serve(model, alias string, v gateway.ModelVersion) {
	m.mu.Lock()
	m.versions[model+"/"+alias], m.refusals[model+"/"+alias] = v, ""
	m.mu.Unlock()
}

// Refuse makes model at alias unservable for reason.
func (m *Models) Refuse(model, alias, reason string) {
	m.mu.Lock()
	delete(m.versions, model+"/"+alias)
	m.refusals[model+"/"+alias] = reason
	m.mu.Unlock()
}

// CanServe implements gateway.ModelRegistry.
func (m *Models) CanServe(_ context.Context, _, model, alias string) (gateway.ModelVersion, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.versions[model+"/"+alias]; ok {
		return v, nil
	}
	reason := m.refusals[model+"/"+alias]
	if reason == "" {
		reason = fmt.Sprintf("model %s has no %s alias", model, alias)
	}
	return gateway.ModelVersion{}, fmt.Errorf("%w: %s", gateway.ErrNotServable, reason)
}

var _ gateway.ModelRegistry = (*Models)(nil)
