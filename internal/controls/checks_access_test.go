package controls

import (
	"testing"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

var limited = access.Limits{RPM: 60}

func TestCheckAgentKeys(t *testing.T) {
	runCheck(t, "agent_keys_least_privilege", []checkCase{
		{"agents hold engineer and consumer roles", fixture{keys: []access.Key{
			key("a1", "acme", access.RoleEngineer, ledger.ActorAgent, limited),
			key("a2", "acme", access.RoleConsumer, ledger.ActorAgent, limited),
			key("h1", "acme", access.RoleApprover, ledger.ActorHuman, limited),
		}}, Pass, nil},
		{"agent holds approver", fixture{keys: []access.Key{
			key("a1", "acme", access.RoleApprover, ledger.ActorAgent, limited),
			key("h1", "acme", access.RoleAdmin, ledger.ActorHuman, limited),
		}}, Fail, []string{"a1"}},
		{"revoked agent admin is ignored", fixture{keys: []access.Key{
			func() access.Key {
				k := key("a1", "acme", access.RoleAdmin, ledger.ActorAgent, limited)
				k.Revoked = now.Add(-Day)
				return k
			}(),
			key("h1", "acme", access.RoleAdmin, ledger.ActorHuman, limited),
		}}, Pass, nil},
		{"no keys", fixture{}, NoEvidence, nil},
	})
}

func TestCheckKeysHaveLimits(t *testing.T) {
	runCheck(t, "keys_have_limits", []checkCase{
		{"every inference key limited", fixture{keys: []access.Key{
			key("c1", "acme", access.RoleConsumer, ledger.ActorService, access.Limits{RPM: 60}),
			key("c2", "acme", access.RoleEngineer, ledger.ActorHuman, access.Limits{DailyTokens: 1000}),
			key("au", "acme", access.RoleAuditor, ledger.ActorHuman, access.Limits{}), // cannot call models
		}}, Pass, nil},
		{"consumer without limits", fixture{keys: []access.Key{
			key("c1", "acme", access.RoleConsumer, ledger.ActorService, access.Limits{}),
			key("c2", "acme", access.RoleConsumer, ledger.ActorService, access.Limits{TPM: 10}),
		}}, Fail, []string{"c1"}},
		{"only non-inference keys", fixture{keys: []access.Key{
			key("au", "acme", access.RoleAuditor, ledger.ActorHuman, access.Limits{}),
		}}, NoEvidence, nil},
	})
}

func TestCheckAccessReviewRecent(t *testing.T) {
	done := func(daysAgo int) fixture {
		return fixture{events: []ledger.Event{ev("access_review.completed", days(daysAgo), alice, map[string]any{"review_id": "r1"}, ref("access_review", "r1"))}}
	}
	runCheck(t, "access_review_recent", []checkCase{
		{"completed 10 days ago", done(10), Pass, nil},
		{"completed 91 days ago", done(91), Stale, []string{"0"}},
		{"never", fixture{}, NoEvidence, nil},
	})
}

func TestCheckRevokedKeysUnused(t *testing.T) {
	revoked := key("k1", "acme", access.RoleConsumer, ledger.ActorService, limited)
	revoked.Revoked = now.Add(-2 * Day)
	use := func(ago int) ledger.Event {
		return ev("inference.request", days(ago), svc, map[string]any{"key_id": "k1", "retention": "zero"}, ref("api_key", "k1"))
	}
	runCheck(t, "revoked_keys_unused", []checkCase{
		{"used before revocation", fixture{keys: []access.Key{revoked}, events: []ledger.Event{use(3)}}, Pass, nil},
		{"used after revocation", fixture{keys: []access.Key{revoked}, events: []ledger.Event{use(3), use(1)}}, Fail, []string{"k1"}},
	})
}
