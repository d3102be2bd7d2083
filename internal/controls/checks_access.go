package controls

import (
	"fmt"
	"slices"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

func init() {
	register("agent_keys_least_privilege", "Agent keys hold no role that approves, manages keys or administers", checkAgentKeys)
	register("keys_have_limits", "Every key that can call models has limits", checkKeysHaveLimits)
	register("access_review_recent", "An access review was completed within 90 days", checkAccessReviewRecent)
	register("revoked_keys_unused", "No revoked or expired key was used afterwards", checkRevokedKeysUnused)
}

// privilegedRoles are the roles an automated agent must never hold: agents
// may propose changes, never approve them or grant access.
var privilegedRoles = []access.Role{access.RoleAdmin, access.RoleApprover, access.RoleOperator, access.RoleCompliance}

func checkAgentKeys(in *Input) Result {
	var r Result
	keys := in.activeKeys()
	r.Population = len(keys)
	if len(keys) == 0 {
		r.Status, r.Reason = NoEvidence, "the store holds no active keys"
		return r
	}
	for _, k := range keys {
		if k.ActorKind == ledger.ActorAgent && slices.Contains(privilegedRoles, k.Role) {
			r.fail(Item{Kind: "key", ID: k.ID, Reason: fmt.Sprintf("agent key %q holds the %s role", k.Name, k.Role)})
		}
	}
	return r.finish("no agent key holds a privileged role", "agent keys hold privileged roles")
}

func checkKeysHaveLimits(in *Input) Result {
	var r Result
	for _, k := range in.activeKeys() {
		if !k.Role.Can(access.PermInference) {
			continue
		}
		r.Population++
		if k.Limits.RPM == 0 && k.Limits.TPM == 0 && k.Limits.DailyTokens == 0 {
			r.fail(Item{Kind: "key", ID: k.ID, Reason: fmt.Sprintf("key %q (%s, tenant %s) has no request or token limit", k.Name, k.Role, k.Tenant)})
		}
	}
	if r.Population == 0 {
		r.Status, r.Reason = NoEvidence, "no active key can call models"
		return r
	}
	return r.finish("every key that can call models has a limit", "keys without limits can call models")
}

func checkAccessReviewRecent(in *Input) Result {
	r := Result{}
	m := in.Facts.LastReview
	if m == nil {
		r.Status, r.Reason = NoEvidence, "no access review has been completed (no access_review.completed event); start one with 'attest controls review start'"
		return r
	}
	r.Population = 1
	r.cite(m.Index)
	age := in.Now.Sub(m.Time)
	if age > in.Settings.ReviewMaxAge {
		reason := fmt.Sprintf("the newest access review was completed %d days ago; the limit is %d", int(age/Day), int(in.Settings.ReviewMaxAge/Day))
		r.expire(Item{Kind: "access_review", ID: fmt.Sprint(m.Index), Reason: reason, Evidence: []uint64{m.Index}})
		return r.finish("", reason)
	}
	return r.finish(fmt.Sprintf("an access review was completed %d days ago", int(age/Day)), "")
}

func checkRevokedKeysUnused(in *Input) Result {
	var r Result
	for _, k := range in.Keys {
		end := k.Revoked
		if end.IsZero() || (!k.Expires.IsZero() && k.Expires.Before(end)) {
			end = k.Expires
		}
		if end.IsZero() || end.After(in.Now) {
			continue
		}
		r.Population++
		if m := in.Facts.KeysSeen[k.ID]; m != nil && m.Time.After(end) {
			r.cite(m.Index)
			r.fail(Item{Kind: "key", ID: k.ID, Reason: fmt.Sprintf("key %q was used at %s, after its access ended at %s", k.Name, m.Time.Format("2006-01-02 15:04"), end.Format("2006-01-02 15:04")), Evidence: []uint64{m.Index}})
		}
	}
	return r.finish("no revoked or expired key was used afterwards", "revoked or expired keys were used")
}
