package registry_test

import (
	"context"
	"errors"
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/registry"
)

// people maps actor ids to persons; an id it lacks stands for itself.
type people struct {
	of  map[string]string
	err error
}

func (p *people) Person(_ context.Context, a ledger.Actor) (string, error) {
	if p.err != nil {
		return "", p.err
	}
	if s, ok := p.of[a.ID]; ok {
		return s, nil
	}
	return a.ID, nil
}

var (
	aliceLaptop = ledger.Actor{Kind: ledger.ActorHuman, ID: "key:alice-laptop"}
	aliceWeb    = ledger.Actor{Kind: ledger.ActorHuman, ID: "user:alice"}
	bobLaptop   = ledger.Actor{Kind: ledger.ActorHuman, ID: "key:bob-laptop"}
)

// TestSeparationOfDutiesByPerson checks that a person cannot approve
// their own change with a second key or their console login, nor count
// twice toward a two-approval change, and that a failed lookup refuses.
func TestSeparationOfDutiesByPerson(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	ppl := f.people
	ppl.of = map[string]string{
		alice.ID: "user:alice", aliceLaptop.ID: "user:alice", aliceWeb.ID: "user:alice",
		bob.ID: "user:bob", bobLaptop.ID: "user:bob",
	}
	f.model("credit", registry.RiskHigh)
	f.signedVersion("credit", "1")
	c := request(t, f, alice, "credit", "1", registry.AliasStaging)

	for _, self := range []ledger.Actor{aliceLaptop, aliceWeb} {
		_, err := f.svc.Approve(f.ctx, tenant, self, c.ID, "")
		wantErr(t, err, registry.ErrSelfApproval, "user:alice")
		_, err = f.svc.Reject(f.ctx, tenant, self, c.ID, "")
		wantErr(t, err, registry.ErrSelfApproval, "user:alice")
	}
	c, err := f.svc.Approve(f.ctx, tenant, bob, c.ID, "")
	f.must(err)
	_, err = f.svc.Approve(f.ctx, tenant, bobLaptop, c.ID, "")
	wantErr(t, err, registry.ErrConflict, "already approved")

	// If nobody can tell who is who, nothing is decided.
	ppl.err = errors.New("store unavailable")
	_, err = f.svc.Approve(f.ctx, tenant, carol, c.ID, "")
	wantErr(t, err, nil, "cannot check separation of duties")
	if n := len(f.events(registry.EventChangeApproved, ledger.Ref{Kind: "change", ID: c.ID})); n != 1 {
		t.Fatalf("%d approvals recorded, want bob's alone", n)
	}
	ppl.err = nil
	c, err = f.svc.Approve(f.ctx, tenant, carol, c.ID, "")
	f.must(err)
	if c.Status != registry.StatusApplied || len(c.Approvals) != 2 {
		t.Fatalf("status %s with %d approvals", c.Status, len(c.Approvals))
	}
}
