package guard

import (
	"context"
	"fmt"

	"github.com/attest-ai/attest/internal/ledger"
)

// EventPolicySet is the ledger event recorded when a tenant's guard policy
// is set or changed, including a choice to fail open.
const EventPolicySet = "guard.policy_set"

// PolicyEvent builds the guard.policy_set event for a tenant. Its body is
// the policy's Summary: enabled entities and actions, thresholds, the
// fail-open choice, the injection model's digest and the policy digest.
func PolicyEvent(tenant string, actor ledger.Actor, p Policy) (ledger.Event, error) {
	s := p.Summary()
	return ledger.NewEvent(EventPolicySet, tenant, actor, s, ledger.Ref{Kind: "guard_policy", ID: s.PolicySHA256[:16]})
}

// RecordPolicy validates p and appends its guard.policy_set event. The
// policy should take effect only after this returns without error.
func RecordPolicy(ctx context.Context, app ledger.Appender, tenant string, actor ledger.Actor, p Policy) (uint64, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	ev, err := PolicyEvent(tenant, actor, p)
	if err != nil {
		return 0, err
	}
	idx, err := app.Append(ctx, ev)
	if err != nil {
		return 0, fmt.Errorf("record guard policy for tenant %s: %w", tenant, err)
	}
	return idx, nil
}
