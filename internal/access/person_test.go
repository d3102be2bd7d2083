package access

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
)

// failingStore fails every key lookup, as a store that is down.
type failingStore struct{ *memStore }

func (failingStore) Key(context.Context, string) (Key, error) { return Key{}, errors.New("disk gone") }

func TestPerson(t *testing.T) {
	ctx := context.Background()
	st, log := newMemStore(), &memLog{}
	svc := NewService(st, log)
	alice := Principal{ID: "alice", Kind: kindUser, Tenant: "acme", Role: RoleAdmin, ActorKind: ledger.ActorHuman}
	mint := func(by Principal, r KeyRequest) Key {
		t.Helper()
		_, k, err := svc.CreateKey(ctx, by, r)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	// alice mints a human key for herself, one for bob, and a service key.
	own := mint(alice, KeyRequest{Tenant: "acme", Name: "alice-laptop", Role: RoleApprover, ActorKind: ledger.ActorHuman})
	bobs := mint(alice, KeyRequest{Tenant: "acme", Name: "bob-laptop", Role: RoleApprover, ActorKind: ledger.ActorHuman, Owner: "bob"})
	svcKey := mint(alice, KeyRequest{Tenant: "acme", Name: "ci", Role: RoleEngineer})
	// A key minted with alice's own key is hers too; one the host's CLI
	// mints without an owner is nobody's but its own.
	ownP, err := svc.Authenticate(ctx, mustToken(t, svc, alice, "alice-2"))
	if err != nil {
		t.Fatal(err)
	}
	second := mint(ownP, KeyRequest{Tenant: "acme", Name: "alice-3", Role: RoleApprover, ActorKind: ledger.ActorHuman})
	cli := Principal{ID: "local", Kind: "cli", Tenant: "default", Role: RoleAdmin, ActorKind: ledger.ActorHuman}
	loose := mint(cli, KeyRequest{Tenant: "acme", Name: "shared", Role: RoleApprover, ActorKind: ledger.ActorHuman})
	// A key from before owners were recorded falls back to its creator.
	st.keys["legacy"] = Key{ID: "legacy", Tenant: "acme", ActorKind: ledger.ActorHuman, CreatedBy: "user:carol"}

	for _, c := range []struct{ actor, want string }{
		{"user:alice", "user:alice"},
		{"key:" + own.ID, "user:alice"},
		{"key:" + second.ID, "user:alice"},
		{"key:" + bobs.ID, "user:bob"},
		{"key:" + svcKey.ID, "key:" + svcKey.ID},
		{"key:" + loose.ID, "key:" + loose.ID},
		{"key:legacy", "user:carol"},
		{"key:unknown", "key:unknown"},
		{"cli:local", "cli:local"},
	} {
		got, err := svc.Person(ctx, ledger.Actor{Kind: ledger.ActorHuman, ID: c.actor})
		if err != nil || got != c.want {
			t.Errorf("Person(%s) = %q, %v; want %q", c.actor, got, err, c.want)
		}
	}
	if own.Owner != "alice" || !strings.Contains(string(log.events[0].Body), `"owner":"alice"`) {
		t.Fatalf("owner not stored or not in evidence: %+v / %s", own, log.events[0].Body)
	}
	// Rotation keeps the owner.
	_, nk, err := svc.Rotate(ctx, alice, bobs.ID, 0)
	if err != nil || nk.Owner != "bob" {
		t.Fatalf("rotated key owner %q, %v", nk.Owner, err)
	}

	// A store that cannot be read is an error, never a guess.
	broken := NewService(failingStore{st}, log)
	if _, err := broken.Person(ctx, ledger.Actor{ID: "key:" + own.ID}); err == nil {
		t.Fatal("Person guessed without the store")
	}
}

func mustToken(t *testing.T, svc *Service, by Principal, name string) string {
	t.Helper()
	tok, _, err := svc.CreateKey(context.Background(), by, KeyRequest{Tenant: "acme", Name: name, Role: RoleAdmin, ActorKind: ledger.ActorHuman})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestOwnerValidation(t *testing.T) {
	svc := NewService(newMemStore(), &memLog{})
	for _, c := range []struct {
		r    KeyRequest
		want string
	}{
		{KeyRequest{Tenant: "acme", Name: "ci", Role: RoleEngineer, Owner: "bob"}, "only a human key"},
		{KeyRequest{Tenant: "acme", Name: "x", Role: RoleEngineer, ActorKind: ledger.ActorHuman, Owner: "bob smith"}, "console user name"},
		{KeyRequest{Tenant: "acme", Name: "x", Role: RoleEngineer, ActorKind: ledger.ActorHuman, Owner: "user:bob"}, "no spaces or colons"},
	} {
		_, _, err := svc.CreateKey(context.Background(), admin, c.r)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error saying %q", c.r, err, c.want)
		}
	}
}

// TestReviewOwnKeyAsUser checks that a console user cannot keep their own
// human key in an access review, nor a key their own key minted.
func TestReviewOwnKeyAsUser(t *testing.T) {
	ctx := context.Background()
	rv, _, _, _ := reviewEnv(t)
	carol := Principal{ID: "carol", Kind: kindUser, Tenant: "acme", Role: RoleAdmin, ActorKind: ledger.ActorHuman}
	_, k, err := rv.svc.CreateKey(ctx, carol, KeyRequest{Tenant: "acme", Name: "carol-laptop", Role: RoleCompliance, ActorKind: ledger.ActorHuman})
	if err != nil {
		t.Fatal(err)
	}
	r, items, err := rv.Start(ctx, admin, StartRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rv.Decide(ctx, carol, r.ID, "key:"+k.ID, Keep, ""); !errors.Is(err, ErrSelfReview) {
		t.Fatalf("carol kept her own key: %v", err)
	}
	// Her key cannot keep the compliance role it holds, but another item is fine.
	kp := Principal{ID: k.ID, Kind: "key", Tenant: "acme", Role: RoleCompliance, ActorKind: ledger.ActorHuman, Owner: "carol"}
	if _, err := rv.Decide(ctx, kp, r.ID, "role:"+string(RoleCompliance), Keep, ""); !errors.Is(err, ErrSelfReview) {
		t.Fatalf("carol's key kept its own role: %v", err)
	}
	var other string
	for _, it := range items {
		if it.Kind == "key" && it.ID != "key:"+k.ID && it.ID != "key:adm" {
			other = it.ID
			break
		}
	}
	if _, err := rv.Decide(ctx, carol, r.ID, other, Keep, ""); err != nil {
		t.Fatalf("carol deciding on %s: %v", other, err)
	}
}
