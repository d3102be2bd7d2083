package gateway

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

// Data classes, least sensitive first.
const (
	ClassPublic       = "public"
	ClassInternal     = "internal"
	ClassConfidential = "confidential"
	ClassRestricted   = "restricted"
)

var classOrder = []string{ClassPublic, ClassInternal, ClassConfidential, ClassRestricted}

// ClassHeader tags a request with its data class. Without it a request
// has the tenant's class, or confidential.
const ClassHeader = "X-Attest-Data-Class"

// classAbove reports whether class c is more sensitive than limit; an
// empty limit allows every class.
func classAbove(c, limit string) bool {
	return limit != "" && slices.Index(classOrder, c) > slices.Index(classOrder, limit)
}

// Consent is what an end user allows for one request.
type Consent struct {
	// AIProcessing false means the user opted out of AI processing: the
	// request is refused.
	AIProcessing bool
	// HumanReview false means the user opted out of human review: the
	// request is served but nothing of it is retained.
	HumanReview bool
}

// Destination is a provider as the privacy rules see it.
type Destination struct {
	Name     string
	Region   string
	MaxClass string
}

// RouteDecision says whether a request may go to one destination.
type RouteDecision struct {
	Allowed bool
	// Reason says why not; it names classes, regions and providers only.
	Reason string
}

// Privacy decides consent and data flows per request. It is asked on
// every request, so an opt-out takes effect on the next one.
type Privacy interface {
	// Consent returns the choices of an end user, by pseudonym.
	Consent(ctx context.Context, tenant, subject string) (Consent, error)
	// Route decides which destinations may receive data of class (empty:
	// the tenant's class). It returns the class that applies and one
	// decision per destination, in order.
	Route(ctx context.Context, tenant, class string, dests []Destination) (string, []RouteDecision, error)
}

// localPrivacy is the Privacy of a gateway without a privacy service:
// everyone consents, requests are confidential unless tagged, and only the
// providers' max_class limits where they go.
type localPrivacy struct{}

func (localPrivacy) Consent(context.Context, string, string) (Consent, error) {
	return Consent{AIProcessing: true, HumanReview: true}, nil
}

func (localPrivacy) Route(_ context.Context, _, class string, dests []Destination) (string, []RouteDecision, error) {
	if class == "" {
		class = ClassConfidential
	}
	out := make([]RouteDecision, len(dests))
	for i, d := range dests {
		if classAbove(class, d.MaxClass) {
			out[i].Reason = fmt.Sprintf("%s data may not go to provider %s (allowed up to %s)", class, d.Name, d.MaxClass)
			continue
		}
		out[i].Allowed = true
	}
	return class, out, nil
}

var _ Privacy = localPrivacy{}

// skippedProvider is a provider a request was kept from, for the audit
// entry.
type skippedProvider struct {
	Provider string `json:"provider"`
	Reason   string `json:"reason"`
}

// Consent refusal and retention reasons recorded in audit entries.
const (
	consentNoAI     = "ai_processing_opted_out"
	consentNoReview = "human_review_opted_out"
)

// checkConsent refuses requests of end users who opted out of AI
// processing and turns off retention for those who opted out of human
// review.
func (g *Gateway) checkConsent(ctx context.Context, w http.ResponseWriter, x *exchange) bool {
	if !x.hasSubject {
		return true
	}
	c, err := g.privacy.Consent(ctx, x.caller.Tenant, x.subject.ID)
	if err != nil {
		g.log.Error("check consent", "request_id", x.id, "tenant", x.caller.Tenant, "err", err)
		g.writeError(w, x, &chat.Error{Status: http.StatusServiceUnavailable, Kind: chat.KindUnavailable, Code: "consent_unavailable",
			Message: "the end user's consent cannot be checked right now, so the request was not sent; retry shortly"})
		return false
	}
	if !c.AIProcessing {
		x.consent = consentNoAI
		g.refuse(w, x, "consent", &chat.Error{Status: http.StatusForbidden, Kind: chat.KindPermission, Code: "consent_withdrawn",
			Message: "the end user named in this request has opted out of AI processing, so it was not sent to any model"})
		return false
	}
	if !c.HumanReview && x.policy.Retention != RetainZero {
		// Nothing of this request may reach a person later, so nothing
		// of it is kept.
		x.consent = consentNoReview
		x.policy.Retention = RetainZero
		x.promptParts = nil
	}
	return true
}

// routeFor applies the privacy rules to the route's chain: it keeps the
// providers that may receive the request's data class and region, in
// order, and refuses the request when none may.
func (g *Gateway) routeFor(ctx context.Context, w http.ResponseWriter, r *http.Request, x *exchange, rt *route) (*route, bool) {
	class := strings.ToLower(strings.TrimSpace(r.Header.Get(ClassHeader)))
	if class != "" && !slices.Contains(classOrder, class) {
		g.refuse(w, x, "bad_request", &chat.Error{Status: http.StatusBadRequest, Kind: chat.KindInvalidRequest, Code: "invalid_data_class",
			Message: "the " + ClassHeader + " header must be public, internal, confidential or restricted"})
		return nil, false
	}
	if len(rt.chain) == 0 {
		x.dataClass = class
		return rt, true
	}
	class, ds, err := g.privacy.Route(ctx, x.caller.Tenant, class, rt.dests)
	if err == nil && len(ds) != len(rt.chain) {
		err = fmt.Errorf("privacy returned %d decisions for %d providers", len(ds), len(rt.chain))
	}
	if err != nil {
		g.log.Error("check data flow", "request_id", x.id, "tenant", x.caller.Tenant, "err", err)
		g.writeError(w, x, &chat.Error{Status: http.StatusServiceUnavailable, Kind: chat.KindUnavailable, Code: "privacy_unavailable",
			Message: "the data-flow rules cannot be checked right now, so the request was not sent; retry shortly"})
		return nil, false
	}
	x.dataClass = class
	var keep []link
	for i, d := range ds {
		if d.Allowed {
			keep = append(keep, rt.chain[i])
			continue
		}
		x.skipped = append(x.skipped, skippedProvider{Provider: rt.chain[i].p.Name(), Reason: d.Reason})
	}
	if len(x.skipped) == 0 {
		return rt, true
	}
	if len(keep) == 0 {
		reasons := make([]string, len(x.skipped))
		for i, s := range x.skipped {
			reasons[i] = s.Reason
		}
		g.refuse(w, x, "data_flow", &chat.Error{Status: http.StatusForbidden, Kind: chat.KindPermission, Code: "no_approved_provider",
			Message: "no provider of " + x.route + " may receive this request: " + strings.Join(reasons, "; ")})
		return nil, false
	}
	return &route{cfg: rt.cfg, chain: keep}, true
}
