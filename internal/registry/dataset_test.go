package registry_test

import (
	"slices"
	"testing"

	"github.com/attest-ai/attest/internal/privacy"
	"github.com/attest-ai/attest/internal/registry"
)

func TestErasureFindsDatasetsAndEvalSets(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	_, err := f.svc.RegisterDataset(f.ctx, tenant, alice, registry.DatasetSpec{Name: "tickets", Owner: "data-team", Classification: "secret"})
	wantErr(t, err, registry.ErrInvalid, "")
	_, err = f.svc.RegisterDataset(f.ctx, tenant, alice, registry.DatasetSpec{Name: "tickets", Owner: "data-team", Classification: "confidential", RetentionDays: 365})
	f.must(err)
	snap := "sha256:" + hexString([]byte("snapshot-one-0123456789abcdefghij"[:32]))
	s, err := f.svc.AddSnapshot(f.ctx, tenant, alice, "tickets", registry.SnapshotSpec{
		Digest: snap, Subjects: []string{"ann@example.com", "ben@example.com", "ann@example.com"},
	})
	f.must(err)
	if s.Subjects != 2 || s.SubjectsSHA256 == "" {
		t.Fatalf("snapshot subjects: %+v", s)
	}
	_, err = f.svc.AddSnapshot(f.ctx, tenant, alice, "tickets", registry.SnapshotSpec{Digest: snap})
	wantErr(t, err, registry.ErrConflict, "already has snapshot")
	_, err = f.svc.AddSnapshot(f.ctx, tenant, alice, "tickets", registry.SnapshotSpec{Digest: "sha256:" + hexString(make([]byte, 32)), Pseudonyms: []string{"ann@example.com"}})
	wantErr(t, err, registry.ErrInvalid, "not one attest issued")

	f.model("support", registry.RiskLimited)
	ann := f.priv.Pseudonym(tenant, "ann@example.com")
	_, err = f.svc.RegisterSuite(f.ctx, tenant, alice, registry.SuiteSpec{
		Name: "triage-v1", Model: "support", Task: "classification", ValidationDigest: validationDigest(), Examples: 4,
		Metrics: []string{"accuracy"}, Gate: gateMin("accuracy", 0.8), SubjectPseudonyms: []string{ann},
	})
	f.must(err)

	refs, err := f.svc.ReferencesTo(f.ctx, tenant, ann)
	f.must(err)
	want := []privacy.Reference{{Kind: "dataset", ID: "tickets@" + snap}, {Kind: "eval_set", ID: "triage-v1"}}
	if !slices.Equal(refs, want) {
		t.Fatalf("references to ann: %v, want %v", refs, want)
	}
	if refs, _ := f.svc.ReferencesTo(f.ctx, "another-tenant", ann); len(refs) != 0 {
		t.Fatalf("another tenant sees %v", refs)
	}
	if refs, _ := f.svc.ReferencesTo(f.ctx, tenant, f.priv.Pseudonym(tenant, "nobody")); len(refs) != 0 {
		t.Fatalf("an unknown subject has references %v", refs)
	}

	// Ann withdraws consent to training: the snapshot is flagged.
	flags, err := f.svc.WithdrawnConsent(f.ctx, tenant, "tickets")
	f.must(err)
	if len(flags) != 0 {
		t.Fatalf("flagged before any opt-out: %v", flags)
	}
	f.priv.optedOut[ann+":"+string(privacy.PurposeTraining)] = true
	flags, err = f.svc.WithdrawnConsent(f.ctx, tenant, "tickets")
	f.must(err)
	if len(flags) != 1 || flags[0].Count != 1 || flags[0].Withdrawn[0] != ann || flags[0].Digest != snap {
		t.Fatalf("flags: %+v", flags)
	}
}
