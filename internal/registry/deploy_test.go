package registry_test

import (
	"encoding/json"
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/registry"
	"github.com/attest-ai/attest/internal/registry/signing"
)

func TestUnsignedVersionCannotBePromotedOrServed(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	f.model("support", registry.RiskLimited)
	_, err := f.svc.RegisterVersion(f.ctx, tenant, alice, "support", registry.VersionSpec{Version: "1", Digest: "sha256:" + hexString(make([]byte, 32))})
	f.must(err)
	for _, alias := range []string{registry.AliasStaging, registry.AliasProduction} {
		spec := change
		spec.Target = registry.Target{Name: "support", Version: "1", Alias: alias}
		_, err = f.svc.RequestChange(f.ctx, tenant, alice, spec)
		wantErr(t, err, registry.ErrUnsigned, "no accepted OMS signature")
		spec.Reason = "outage"
		_, err = f.svc.Emergency(f.ctx, tenant, alice, spec)
		wantErr(t, err, registry.ErrUnsigned, "no accepted OMS signature")
		_, err = f.svc.CanServe(f.ctx, tenant, "support", alias)
		wantErr(t, err, registry.ErrNotServable, "model support has no "+alias+" alias")
	}
	if es := f.events(registry.EventChangeRequested, ledger.Ref{Kind: "model_version", ID: "support@1"}); len(es) != 0 {
		t.Fatal("a refused promotion was recorded as requested")
	}
}

func TestCanServeNeedsSignedVerifiedApproved(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	dir := f.signedVersion("support", "1")
	f.promote("support", "1", registry.AliasStaging)

	_, err := f.svc.CanServe(f.ctx, tenant, "support", registry.AliasStaging)
	wantErr(t, err, registry.ErrNotServable, "not servable: model support@1 at alias staging has not been verified at load; run 'attest model verify --record'")

	f.verified("support@1", dir)
	v, err := f.svc.CanServe(f.ctx, tenant, "support", registry.AliasStaging)
	f.must(err)
	if v.ID() != "support@1" {
		t.Fatalf("serving %s", v.ID())
	}

	// Revoking the signer's key stops serving at once.
	_, err = f.svc.RevokeKey(f.ctx, tenant, bob, v.Signature.KeyHint)
	f.must(err)
	_, err = f.svc.CanServe(f.ctx, tenant, "support", registry.AliasStaging)
	wantErr(t, err, registry.ErrNotServable, "which is no longer trusted")
}

func TestEvaluationGateAgainstProduction(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	f.signedVersion("support", "1")
	f.signedVersion("support", "2")
	f.signedVersion("support", "3")

	spec := change
	spec.Target = registry.Target{Name: "support", Version: "1", Alias: registry.AliasProduction}
	_, err := f.svc.RequestChange(f.ctx, tenant, alice, spec)
	wantErr(t, err, registry.ErrGate, "no evaluation suite gates model support")

	f.suite("triage-v1", "support", 0.8, 0.02)
	_, err = f.svc.RequestChange(f.ctx, tenant, alice, spec)
	wantErr(t, err, registry.ErrGate, "not evaluated on suite triage-v1")

	low := f.eval("triage-v1", "support@1", 0.75)
	if low.Passed || low.Gate.Pass {
		t.Fatal("0.75 passed a minimum of 0.8")
	}
	_, err = f.svc.RequestChange(f.ctx, tenant, alice, spec)
	wantErr(t, err, registry.ErrGate, "accuracy is 0.75, below the minimum 0.8")

	if r := f.eval("triage-v1", "support@1", 0.90); !r.Passed {
		t.Fatalf("0.90 failed: %v", r.Gate.Reasons())
	}
	f.promote("support", "1", registry.AliasProduction)

	// Version 2 is above the minimum but worse than production by more
	// than the margin.
	r2 := f.eval("triage-v1", "support@2", 0.87)
	if r2.Passed || r2.Baseline != "support@1" {
		t.Fatalf("0.87 against 0.90 with margin 0.02 passed, or no baseline: %+v", r2)
	}
	spec.Target.Version = "2"
	_, err = f.svc.RequestChange(f.ctx, tenant, alice, spec)
	wantErr(t, err, registry.ErrGate, "against 0.9 in production")

	if r3 := f.eval("triage-v1", "support@3", 0.885); !r3.Passed {
		t.Fatalf("within the margin but refused: %v", r3.Gate.Reasons())
	}
	f.promote("support", "3", registry.AliasProduction)

	// The eval.completed body says whether it passed, for the controls.
	es := f.events(registry.EventEvalCompleted, ledger.Ref{Kind: "model_version", ID: "support@2"})
	var body struct {
		Passed bool   `json:"passed"`
		Suite  string `json:"suite"`
	}
	f.must(json.Unmarshal(es[0].Event.Body, &body))
	if body.Passed || body.Suite != "triage-v1" {
		t.Fatalf("eval.completed body: %+v", body)
	}
}

func TestSignedEvaluationResults(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	f.signedVersion("support", "1")
	f.suite("triage-v1", "support", 0.8, 0.02)
	v, err := f.svc.Version(f.ctx, tenant, "support@1")
	f.must(err)
	r := registry.ResultSpec{ModelVersion: "support@1", Metrics: map[string]float64{"accuracy": 0.9, "f1_macro": 0.85}, Examples: 4,
		PredictionsSHA256: hexString(make([]byte, 32)), ValidationDigest: validationDigest()}
	sign := func(r registry.ResultSpec) []byte {
		payload, err := registry.EvalStatement("triage-v1", v.Digest, r)
		f.must(err)
		env, err := signing.SignEnvelope(f.key, payload)
		f.must(err)
		b, _ := json.Marshal(env)
		return b
	}
	claimed := r
	claimed.Metrics = map[string]float64{"accuracy": 0.99, "f1_macro": 0.85}
	lie := r
	lie.Envelope = sign(claimed)
	_, err = f.svc.RecordEval(f.ctx, tenant, ci, "triage-v1", lie)
	wantErr(t, err, registry.ErrInvalid, "does not state this result")

	r.Envelope = sign(r)
	res, err := f.svc.RecordEval(f.ctx, tenant, ci, "triage-v1", r)
	f.must(err)
	if res.Signer != v.Signature.KeyHint {
		t.Fatalf("signer %q, want the trusted key %q", res.Signer, v.Signature.KeyHint)
	}

	wrongSet := r
	wrongSet.Envelope = nil
	wrongSet.ValidationDigest = "sha256:" + hexString(make([]byte, 32))
	_, err = f.svc.RecordEval(f.ctx, tenant, ci, "triage-v1", wrongSet)
	wantErr(t, err, registry.ErrConflict, "locked to")
}

func TestRollbackLeavesAVerifiableTrail(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	dir1 := f.signedVersion("support", "1")
	dir2 := f.signedVersion("support", "2")
	f.verified("support@1", dir1)
	f.verified("support@2", dir2)
	f.promote("support", "1", registry.AliasStaging)
	f.promote("support", "2", registry.AliasStaging)

	a, err := f.svc.Rollback(f.ctx, tenant, alice, registry.KindModel, "support", registry.AliasStaging)
	f.must(err)
	if a.Version != "1" || !a.History[len(a.History)-1].Rollback {
		t.Fatalf("rollback went to %s: %+v", a.Version, a.History)
	}
	if v, err := f.svc.CanServe(f.ctx, tenant, "support", registry.AliasStaging); err != nil || v.Version != "1" {
		t.Fatalf("after rollback: %v %v", v.Version, err)
	}

	// Every move is an event with who, when, from and to, and each one
	// is provably in the ledger under a signed checkpoint.
	moves := f.events(registry.EventAliasMoved, ledger.Ref{Kind: "model", ID: "support"})
	if len(moves) != 3 {
		t.Fatalf("want 3 alias moves, got %d", len(moves))
	}
	var last struct {
		From, To, Alias string
		Rollback        bool
	}
	f.must(json.Unmarshal(moves[2].Event.Body, &last))
	if last.From != "support@2" || last.To != "support@1" || !last.Rollback || moves[2].Event.Actor != alice || moves[2].Event.Time.IsZero() {
		t.Fatalf("rollback event: %+v by %v", last, moves[2].Event.Actor)
	}
	h, err := f.svc.History(f.ctx, tenant, "support@1")
	f.must(err)
	f.must(h.Verify(f.vkey))
	proven := 0
	for _, e := range h.Entries {
		if e.Type == registry.EventAliasMoved {
			proven++
		}
	}
	if proven != 3 {
		t.Fatalf("support@1's history proves %d alias moves, want 3 (to it, away from it, back to it)", proven)
	}
	// A tampered entry no longer matches its proof.
	e := h.Entries[len(h.Entries)-1]
	bad := append([]byte{}, e.Event...)
	bad[len(bad)-2] ^= 1
	if err := e.Proof.Verify(f.vkey, bad); err == nil {
		t.Fatal("a tampered entry verified")
	}

	// Rolling back again returns to version 2, still approved.
	if a, err = f.svc.Rollback(f.ctx, tenant, alice, registry.KindModel, "support", registry.AliasStaging); err != nil || a.Version != "2" {
		t.Fatalf("second rollback: %v %v", a.Version, err)
	}
	_, err = f.svc.Rollback(f.ctx, tenant, alice, registry.KindModel, "support", registry.AliasProduction)
	wantErr(t, err, registry.ErrNotFound, "no alias production")
}
