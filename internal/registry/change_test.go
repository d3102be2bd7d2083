package registry_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/registry"
)

func request(t *testing.T, f *fixture, by ledger.Actor, model, version, alias string) registry.Change {
	t.Helper()
	spec := change
	spec.Target = registry.Target{Name: model, Version: version, Alias: alias}
	spec.Ticket = &registry.Ticket{Key: "OPS-42", URL: "https://jira.example.com/browse/OPS-42"}
	c, err := f.svc.RequestChange(f.ctx, tenant, by, spec)
	f.must(err)
	return c
}

func TestSeparationOfDuties(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	f.signedVersion("support", "1")
	c := request(t, f, alice, "support", "1", registry.AliasStaging)
	if c.Required != 1 || c.Status != registry.StatusPending || c.Ticket.Key != "OPS-42" {
		t.Fatalf("unexpected change: %+v", c)
	}

	_, err := f.svc.Approve(f.ctx, tenant, alice, c.ID, "")
	wantErr(t, err, registry.ErrSelfApproval, "requester")
	_, err = f.svc.Approve(f.ctx, tenant, robot, c.ID, "")
	wantErr(t, err, registry.ErrAgentApproval, "never approve")
	_, err = f.svc.Approve(f.ctx, tenant, ci, c.ID, "")
	wantErr(t, err, registry.ErrAgentApproval, "never approve")
	_, err = f.svc.Reject(f.ctx, tenant, robot, c.ID, "")
	wantErr(t, err, registry.ErrAgentApproval, "")
	if len(f.events(registry.EventChangeApproved, ledger.Ref{Kind: "change", ID: c.ID})) != 0 {
		t.Fatal("a refused approval left an event")
	}

	c, err = f.svc.Approve(f.ctx, tenant, bob, c.ID, "checked the eval")
	f.must(err)
	if c.Status != registry.StatusApplied {
		t.Fatalf("one approval suffices for a limited-risk model, status %s", c.Status)
	}
	a, err := f.svc.Alias(f.ctx, tenant, registry.KindModel, "support", registry.AliasStaging)
	f.must(err)
	if a.Version != "1" || a.ChangeID != c.ID {
		t.Fatalf("alias not moved: %+v", a)
	}

	// The approval is a signed statement anyone can check with the
	// ledger verifier key, and it is recorded as such.
	st, err := registry.VerifyDecision(c.Approvals[0].Envelope, f.vkey)
	f.must(err)
	if st.Decision != registry.DecisionApproved || st.Decider != bob || st.Requester != alice || st.ChangeID != c.ID {
		t.Fatalf("statement says %+v", st)
	}
	es := f.events(registry.EventChangeApproved, ledger.Ref{Kind: "change", ID: c.ID})
	var body struct {
		Envelope registry.Envelope `json:"envelope"`
		ChangeID string            `json:"change_id"`
	}
	f.must(json.Unmarshal(es[0].Event.Body, &body))
	if _, err := registry.VerifyDecision(body.Envelope, f.vkey); err != nil || body.ChangeID != c.ID {
		t.Fatalf("the ledger's copy of the approval does not verify: %v", err)
	}
	forged := body.Envelope
	forged.Payload = []byte(string(forged.Payload[:len(forged.Payload)-2]) + " }")
	if _, err := registry.VerifyDecision(forged, f.vkey); err == nil {
		t.Fatal("an altered statement verified")
	}

	_, err = f.svc.Approve(f.ctx, tenant, carol, c.ID, "")
	wantErr(t, err, registry.ErrConflict, "not pending")
}

func TestHighRiskNeedsTwoDistinctApprovers(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	f.model("credit", registry.RiskHigh)
	f.signedVersion("credit", "1")
	c := request(t, f, alice, "credit", "1", registry.AliasStaging)
	if c.Required != 2 {
		t.Fatalf("high risk should need 2 approvals, got %d", c.Required)
	}
	c, err := f.svc.Approve(f.ctx, tenant, bob, c.ID, "")
	f.must(err)
	if c.Status != registry.StatusPending {
		t.Fatal("applied after one of two approvals")
	}
	_, err = f.svc.Approve(f.ctx, tenant, bob, c.ID, "")
	wantErr(t, err, registry.ErrConflict, "already approved")
	c, err = f.svc.Approve(f.ctx, tenant, carol, c.ID, "")
	f.must(err)
	if c.Status != registry.StatusApplied || len(c.Approvals) != 2 {
		t.Fatalf("status %s with %d approvals", c.Status, len(c.Approvals))
	}
}

func TestAgentProposalAlwaysNeedsAHuman(t *testing.T) {
	// A policy that lets humans ship minimal-risk changes unreviewed.
	f := newFixture(t, registry.Policy{Approvals: map[registry.Risk]int{registry.RiskMinimal: 0, registry.RiskLimited: 1, registry.RiskHigh: 2}})
	f.model("summarizer", registry.RiskMinimal)
	f.signedVersion("summarizer", "1")
	f.signedVersion("summarizer", "2")

	human := request(t, f, alice, "summarizer", "1", registry.AliasStaging)
	if human.Status != registry.StatusApplied || human.Required != 0 {
		t.Fatalf("a human's minimal-risk change should apply at once: %+v", human)
	}
	agent := request(t, f, robot, "summarizer", "2", registry.AliasStaging)
	if agent.Status != registry.StatusPending || agent.Required != 1 {
		t.Fatalf("an agent's change must wait for a human: %+v", agent)
	}
	es := f.events(registry.EventChangeRequested, ledger.Ref{Kind: "change", ID: agent.ID})
	if len(es) != 1 || es[0].Event.Actor != robot {
		t.Fatal("the agent's proposal is not recorded with the agent as actor")
	}
	_, err := f.svc.Approve(f.ctx, tenant, robot, agent.ID, "")
	wantErr(t, err, registry.ErrAgentApproval, "")
	agent, err = f.svc.Approve(f.ctx, tenant, bob, agent.ID, "")
	f.must(err)
	if agent.Status != registry.StatusApplied {
		t.Fatal("a human approval should apply the agent's change")
	}
}

func TestRejectionClosesTheChange(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	f.signedVersion("support", "1")
	c := request(t, f, alice, "support", "1", registry.AliasStaging)
	c, err := f.svc.Reject(f.ctx, tenant, bob, c.ID, "missing load test")
	f.must(err)
	if c.Status != registry.StatusRejected || c.Rejection == nil {
		t.Fatalf("not rejected: %+v", c)
	}
	st, err := registry.VerifyDecision(c.Rejection.Envelope, f.vkey)
	f.must(err)
	if st.Decision != registry.DecisionRejected || st.CommentSHA256 == "" {
		t.Fatalf("statement says %+v", st)
	}
	_, err = f.svc.Approve(f.ctx, tenant, carol, c.ID, "")
	wantErr(t, err, registry.ErrConflict, "rejected")
}

func TestEmergencyNeedsAReviewByTheDeadline(t *testing.T) {
	f := newFixture(t, registry.Policy{EmergencyReview: 48 * time.Hour})
	dir := f.signedVersion("support", "1")
	f.verified("support@1", dir)
	spec := change
	spec.Target = registry.Target{Name: "support", Version: "1", Alias: registry.AliasProduction}
	spec.Reason = "production is down"

	_, err := f.svc.Emergency(f.ctx, tenant, robot, spec)
	wantErr(t, err, registry.ErrAgentEmergency, "agent")

	c, err := f.svc.Emergency(f.ctx, tenant, alice, spec)
	f.must(err)
	if c.Status != registry.StatusApplied || !c.Emergency || !c.ReviewDue.Equal(f.clock.now().Add(48*time.Hour)) {
		t.Fatalf("emergency change not applied at once: %+v", c)
	}
	if _, err := f.svc.CanServe(f.ctx, tenant, "support", registry.AliasProduction); err != nil {
		t.Fatalf("an emergency change is servable until reviewed: %v", err)
	}
	es := f.events(registry.EventChangeEmergency, ledger.Ref{Kind: "change", ID: c.ID})
	var body struct {
		ReviewDue time.Time `json:"review_due"`
		ChangeID  string    `json:"change_id"`
	}
	f.must(json.Unmarshal(es[0].Event.Body, &body))
	if !body.ReviewDue.Equal(c.ReviewDue) || body.ChangeID != c.ID {
		t.Fatalf("change.emergency lacks review_due or change_id: %+v", body)
	}

	over, err := f.svc.OverdueReviews(f.ctx, "", f.clock.now())
	f.must(err)
	if len(over) != 0 {
		t.Fatal("overdue before the deadline")
	}
	f.clock.advance(49 * time.Hour)
	over, err = f.svc.OverdueReviews(f.ctx, "", f.clock.now())
	f.must(err)
	if len(over) != 1 || over[0].ID != c.ID || over[0].Tenant != tenant {
		t.Fatalf("the missed review is not an open finding: %+v", over)
	}

	_, err = f.svc.Review(f.ctx, tenant, alice, c.ID, true, "")
	wantErr(t, err, registry.ErrSelfApproval, "")
	c, err = f.svc.Review(f.ctx, tenant, bob, c.ID, false, "should have waited")
	f.must(err)
	over, err = f.svc.OverdueReviews(f.ctx, tenant, f.clock.now())
	f.must(err)
	if len(over) != 0 {
		t.Fatal("a reviewed change is still overdue")
	}
	es = f.events(registry.EventChangeReviewed, ledger.Ref{Kind: "change", ID: c.ID})
	var rb struct {
		OnTime  bool   `json:"on_time"`
		Outcome string `json:"outcome"`
	}
	f.must(json.Unmarshal(es[0].Event.Body, &rb))
	if rb.OnTime || rb.Outcome != "rejected" {
		t.Fatalf("change.reviewed says %+v", rb)
	}
	_, err = f.svc.CanServe(f.ctx, tenant, "support", registry.AliasProduction)
	wantErr(t, err, registry.ErrNotServable, "rejected on review, roll back")
}

func TestChangeRequestsAreChecked(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	f.signedVersion("support", "1")
	for _, tc := range []struct {
		name string
		spec registry.ChangeSpec
		want string
	}{
		{"no rollback plan", registry.ChangeSpec{Target: registry.Target{Name: "support", Version: "1", Alias: "staging"}, Description: "x"}, "rollback plan"},
		{"canary without percent", registry.ChangeSpec{Target: registry.Target{Name: "support", Version: "1", Alias: "canary"}, Description: "x", RollbackPlan: "y"}, "percentage"},
		{"percent on staging", registry.ChangeSpec{Target: registry.Target{Name: "support", Version: "1", Alias: "staging", Percent: 5}, Description: "x", RollbackPlan: "y"}, "only the canary"},
		{"bad ticket url", registry.ChangeSpec{Target: registry.Target{Name: "support", Version: "1", Alias: "staging"}, Description: "x", RollbackPlan: "y", Ticket: &registry.Ticket{Key: "OPS-1", URL: "javascript:alert(1)"}}, "http(s)"},
		{"unknown version", registry.ChangeSpec{Target: registry.Target{Name: "support", Version: "9", Alias: "staging"}, Description: "x", RollbackPlan: "y"}, "no model version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.RequestChange(f.ctx, tenant, alice, tc.spec)
			wantErr(t, err, nil, tc.want)
		})
	}
	// A canary carries its traffic share to the alias.
	spec := change
	spec.Target = registry.Target{Name: "support", Version: "1", Alias: registry.AliasCanary, Percent: 10}
	c, err := f.svc.RequestChange(f.ctx, tenant, alice, spec)
	f.must(err)
	_, err = f.svc.Approve(f.ctx, tenant, bob, c.ID, "")
	f.must(err)
	a, err := f.svc.Alias(f.ctx, tenant, registry.KindModel, "support", registry.AliasCanary)
	f.must(err)
	if a.Percent != 10 {
		t.Fatalf("canary percent %d", a.Percent)
	}
}
