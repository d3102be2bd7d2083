package controls

import (
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
)

const mv = "fraud@3"

var mvRef = ref("model_version", mv)

// lifecycle returns the events of a well-run release of mv: registered with
// lineage, signed, verified, evaluated, requested by alice, approved by bob
// and deployed to production.
func lifecycle() []ledger.Event {
	return []ledger.Event{
		ev("model.version_registered", days(10), alice, map[string]any{"model": "fraud", "version": "3", "datasets": []string{"sha256:aa"}}, mvRef),
		ev("model.signed", days(9), alice, map[string]any{"root_digest": "sha256:bb"}, mvRef),
		ev("model.verified", days(8), svc, map[string]any{"verified": true}, mvRef),
		ev("eval.completed", days(8), svc, map[string]any{"suite": "fraud-v1", "passed": true}, mvRef),
		ev("change.requested", days(7), alice, map[string]any{"kind": "promote"}, ref("change", "c1"), mvRef),
		ev("change.approved", days(6), bob, nil, ref("change", "c1")),
		ev("deploy.alias_moved", days(5), svc, map[string]any{"model": "fraud", "alias": "production", "environment": "production"}, mvRef, ref("change", "c1")),
	}
}

// without returns lifecycle() minus the events of the given types.
func without(types ...string) []ledger.Event {
	var out []ledger.Event
	for _, e := range lifecycle() {
		skip := false
		for _, t := range types {
			skip = skip || e.Type == t
		}
		if !skip {
			out = append(out, e)
		}
	}
	return out
}

// replace swaps the first event of e's type in lifecycle() for e.
func replace(e ledger.Event) []ledger.Event {
	out := lifecycle()
	for i := range out {
		if out[i].Type == e.Type {
			out[i] = e
			return out
		}
	}
	return append(out, e)
}

func TestCheckSignedAndApproved(t *testing.T) {
	runCheck(t, "model_versions_signed_and_approved", []checkCase{
		{"signed and approved by another human", fixture{events: lifecycle()}, Pass, nil},
		{"unsigned", fixture{events: without("model.signed")}, Fail, []string{mv}},
		{"approved by the requester", fixture{events: replace(ev("change.approved", days(6), alice, nil, ref("change", "c1")))}, Fail, []string{mv}},
		{"approved by an agent", fixture{events: replace(ev("change.approved", days(6), bot, nil, ref("change", "c1")))}, Fail, []string{mv}},
		{"approved with a key the requester minted for herself", fixture{events: approvedWithKey(alice, nil)}, Fail, []string{mv}},
		{"approved with a key assigned to the requester", fixture{events: approvedWithKey(svc, map[string]any{"owner": "alice"})}, Fail, []string{mv}},
		{"approved with a key the requester minted for bob", fixture{events: approvedWithKey(alice, map[string]any{"owner": "bob"})}, Pass, nil},
		{"approval then rejection", fixture{events: append(lifecycle(), ev("change.rejected", days(5), bob, nil, ref("change", "c1")))}, Fail, []string{mv}},
		{"verification failed", fixture{events: replace(ev("model.verified", days(8), svc, map[string]any{"verified": false}, mvRef))}, Fail, []string{mv}},
		{"emergency change reviewed by another human", fixture{events: append(without("change.requested", "change.approved"),
			ev("change.emergency", days(5), alice, map[string]any{"reason": "incident"}, ref("change", "c9"), mvRef),
			ev("change.reviewed", days(4), bob, nil, ref("change", "c9")))}, Pass, nil},
		{"staging deployment only", fixture{events: replace(ev("deploy.alias_moved", days(5), svc, map[string]any{"model": "fraud", "alias": "staging"}, mvRef))}, NoEvidence, nil},
	})
}

// approvedWithKey is lifecycle() with the approval made by a human key
// that by minted, its key.created body extended by extra.
func approvedWithKey(by ledger.Actor, extra map[string]any) []ledger.Event {
	b := map[string]any{"name": "laptop", "role": "approver", "actor_kind": "human"}
	for k, v := range extra {
		b[k] = v
	}
	key := ledger.Actor{Kind: ledger.ActorHuman, ID: "key:k9"}
	return append([]ledger.Event{ev("key.created", days(20), by, b, ref("key", "k9"))},
		replace(ev("change.approved", days(6), key, nil, ref("change", "c1")))...)
}

func TestCheckVerifiedAtDeploy(t *testing.T) {
	late := append(without("model.verified"), ev("model.verified", days(1), svc, map[string]any{"verified": true}, mvRef))
	runCheck(t, "models_verified_at_deploy", []checkCase{
		{"verified before deploy", fixture{events: lifecycle()}, Pass, nil},
		{"never verified", fixture{events: without("model.verified")}, Fail, []string{mv}},
		{"verified only after deploy", fixture{events: late}, Fail, []string{mv}},
	})
}

func TestCheckEvalGate(t *testing.T) {
	runCheck(t, "eval_gate_passed", []checkCase{
		{"passed before deploy", fixture{events: lifecycle()}, Pass, nil},
		{"failed evaluation", fixture{events: replace(ev("eval.completed", days(8), svc, map[string]any{"suite": "s", "passed": false}, mvRef))}, Fail, []string{mv}},
		{"no evaluation", fixture{events: without("eval.completed")}, Fail, []string{mv}},
		{"no deployment", fixture{events: without("deploy.alias_moved")}, NoEvidence, nil},
	})
}

func TestCheckLineage(t *testing.T) {
	runCheck(t, "lineage_recorded", []checkCase{
		{"registration names datasets", fixture{events: lifecycle()}, Pass, nil},
		{"lineage run names the version", fixture{events: append(without("model.version_registered"),
			ev("lineage.run", days(11), svc, map[string]any{"job": "train"}, ref("lineage_run", "r1"), mvRef))}, Pass, nil},
		{"registration without lineage", fixture{events: replace(ev("model.version_registered", days(10), alice, map[string]any{"model": "fraud"}, mvRef))}, Fail, []string{mv}},
	})
}

func TestCheckAgentChanges(t *testing.T) {
	agentReq := ev("change.requested", days(7), bot, nil, ref("change", "c1"), mvRef)
	runCheck(t, "agent_changes_human_approved", []checkCase{
		{"agent change approved by a human", fixture{events: replace(agentReq)}, Pass, nil},
		{"agent change deployed without approval", fixture{events: append(without("change.requested", "change.approved", "deploy.alias_moved"), agentReq, lifecycle()[6])}, Fail, []string{"c1"}},
		{"agent change pending", fixture{events: []ledger.Event{agentReq}}, Pass, nil},
		{"agent approves", fixture{events: replace(ev("change.approved", days(6), bot, nil, ref("change", "c1")))}, Fail, []string{"c1"}},
		{"no changes", fixture{}, NoEvidence, nil},
	})
}

func TestCheckEmergencyChanges(t *testing.T) {
	emergency := ev("change.emergency", days(10), alice, nil, ref("change", "e1"), mvRef)
	runCheck(t, "emergency_changes_reviewed", []checkCase{
		{"none", fixture{events: lifecycle()}, Pass, nil},
		{"reviewed in time", fixture{events: []ledger.Event{emergency, ev("change.reviewed", days(8), bob, nil, ref("change", "e1"))}}, Pass, nil},
		{"recent and not yet reviewed", fixture{events: []ledger.Event{ev("change.emergency", days(2), alice, nil, ref("change", "e1"))}}, Pass, nil},
		{"never reviewed", fixture{events: []ledger.Event{emergency}}, Fail, []string{"e1"}},
		{"reviewed late", fixture{events: []ledger.Event{emergency, ev("change.reviewed", days(1), bob, nil, ref("change", "e1"))}}, Fail, []string{"e1"}},
		{"reviewed by the requester", fixture{events: []ledger.Event{emergency, ev("change.reviewed", days(9), alice, nil, ref("change", "e1"))}}, Fail, []string{"e1"}},
		{"reviewed with the requester's key", fixture{events: []ledger.Event{emergency,
			ev("key.created", days(20), svc, map[string]any{"actor_kind": "human", "owner": "alice"}, ref("key", "k9")),
			ev("change.reviewed", days(9), ledger.Actor{Kind: ledger.ActorHuman, ID: "key:k9"}, nil, ref("change", "e1"))}}, Fail, []string{"e1"}},
	})
}

func TestCheckDrift(t *testing.T) {
	report := func(ago int) ledger.Event {
		return ev("drift.report", days(ago), svc, map[string]any{"psi": 0.02}, mvRef)
	}
	alert := ev("drift.alert", days(10), svc, map[string]any{"due": now.Add(-days(3)).Format("2006-01-02")}, ref("drift_alert", "d1"), mvRef)
	runCheck(t, "drift_alerts_not_overdue", []checkCase{
		{"fresh report, no alerts", fixture{events: append(lifecycle(), report(1))}, Pass, nil},
		{"alert closed", fixture{events: append(lifecycle(), report(1), alert, ev("drift.alert_closed", days(5), bob, nil, ref("drift_alert", "d1")))}, Pass, nil},
		{"alert overdue", fixture{events: append(lifecycle(), report(1), alert)}, Fail, []string{"d1"}},
		{"alert not yet due", fixture{events: append(lifecycle(), report(1), ev("drift.alert", days(1), svc, nil, ref("drift_alert", "d2")))}, Pass, nil},
		{"report too old", fixture{events: append(lifecycle(), report(20))}, Stale, []string{mv}},
		{"never ran", fixture{events: lifecycle()}, NoEvidence, nil},
	})
}
