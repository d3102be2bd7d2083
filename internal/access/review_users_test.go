package access

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// memUsers is an in-memory console user directory that keeps the
// console's rule: the last enabled admin is never disabled.
type memUsers struct {
	mu       sync.Mutex
	users    []ReviewUser
	disabled []string
	reasons  []string
}

func (m *memUsers) ReviewUsers(context.Context) ([]ReviewUser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.users), nil
}

func (m *memUsers) DisableUser(_ context.Context, by ledger.Actor, name, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.users, func(u ReviewUser) bool { return u.Name == name })
	if i < 0 {
		return ErrNotFound
	}
	other := slices.ContainsFunc(m.users, func(u ReviewUser) bool { return u.Name != name && u.Role == RoleAdmin && !u.Disabled })
	if m.users[i].Role == RoleAdmin && !other {
		return ErrLastAdmin
	}
	m.users[i].Disabled = true
	m.disabled, m.reasons = append(m.disabled, name), append(m.reasons, reason)
	return nil
}

func (m *memUsers) isDisabled(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Contains(m.disabled, name)
}

func consoleUsers(admins ...string) []ReviewUser {
	seen := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	us := []ReviewUser{
		{Name: "bob", Tenant: "acme", Role: RoleEngineer, SignIn: []string{SignInPassword}, LastSeen: seen},
		{Name: "cy", Tenant: "beta", Role: RoleAuditor, SignIn: []string{SignInOIDC}},
		{Name: "gone", Tenant: "acme", Role: RoleEngineer, SignIn: []string{SignInPassword}, Disabled: true},
	}
	for _, a := range admins {
		us = append(us, ReviewUser{Name: a, Tenant: "default", Role: RoleAdmin, SignIn: []string{SignInPassword, SignInOIDC}})
	}
	return us
}

// TestReviewUserItems checks what a campaign lists for console users.
func TestReviewUserItems(t *testing.T) {
	ctx := context.Background()
	rv, _, _, ids := reviewEnv(t)
	dir := &memUsers{users: consoleUsers("alice")}
	rv.WithUsers(dir)

	_, items, err := rv.Start(ctx, compliance, StartRequest{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]ReviewItem{}
	for _, it := range items {
		byID[it.ID] = it
	}
	bob, ok := byID["user:bob"]
	if !ok || bob.Kind != "user" || bob.Tenant != "acme" || bob.Role != RoleEngineer || bob.ActorKind != ledger.ActorHuman ||
		!slices.Equal(bob.SignIn, []string{SignInPassword}) || !bob.LastUsed.Equal(dir.users[0].LastSeen) {
		t.Fatalf("user item bob = %+v", bob)
	}
	if a := byID["user:alice"]; !slices.Equal(a.SignIn, []string{SignInPassword, SignInOIDC}) {
		t.Fatalf("user item alice = %+v", a)
	}
	if _, ok := byID["user:gone"]; ok {
		t.Fatal("a disabled user is listed for review")
	}
	if h := byID["role:engineer"].Holders; !slices.Equal(h, []string{ids["old-bot"], "user:bob"}) {
		t.Fatalf("engineer holders = %v, want the key and the user", h)
	}
	if h := byID["role:auditor"].Holders; !slices.Equal(h, []string{"user:cy"}) {
		t.Fatalf("a role held only by a user must be reviewed too; holders = %v", h)
	}

	_, scoped, err := rv.Start(ctx, compliance, StartRequest{Tenant: "beta"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range scoped {
		got = append(got, it.ID)
	}
	if want := []string{"key:" + ids["ops"], "user:cy", "role:auditor", "role:operator"}; !slices.Equal(got, want) {
		t.Fatalf("tenant beta items = %v, want %v", got, want)
	}
}

// TestReviewUserSelfReview keeps console users off their own items, as
// keys are.
func TestReviewUserSelfReview(t *testing.T) {
	ctx := context.Background()
	rv, _, _, _ := reviewEnv(t)
	rv.WithUsers(&memUsers{users: consoleUsers("alice")})
	r, _, err := rv.Start(ctx, compliance, StartRequest{})
	if err != nil {
		t.Fatal(err)
	}
	alice := Principal{ID: "alice", Kind: "user", Tenant: "default", Role: RoleAdmin, ActorKind: ledger.ActorHuman}
	for _, item := range []string{"user:alice", "role:admin"} {
		if _, err := rv.Decide(ctx, alice, r.ID, item, Keep, ""); !errors.Is(err, ErrSelfReview) {
			t.Errorf("alice deciding %s: %v, want ErrSelfReview", item, err)
		}
	}
	if _, err := rv.Decide(ctx, alice, r.ID, "user:bob", Keep, ""); err != nil {
		t.Errorf("alice deciding on bob: %v", err)
	}
}

// TestReviewUserDecisions completes campaigns with keep and revoke
// decisions on console users.
func TestReviewUserDecisions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		admins  []string
		revoke  []string // items decided revoke; every other is kept
		by      Principal
		wantErr error
		errHas  string   // part of the error, such as the users it names
		off     []string // users disabled afterwards
		revoked int      // keys and users
	}{
		{name: "keep leaves everyone", admins: []string{"alice"}, by: admin},
		{name: "revoke disables the user", admins: []string{"alice"}, revoke: []string{"user:bob"}, by: admin, off: []string{"bob"}, revoked: 1},
		{name: "revoking a role disables its users and revokes its keys", admins: []string{"alice"}, revoke: []string{"role:engineer"}, by: admin, off: []string{"bob"}, revoked: 2},
		{name: "an item and its role revoke the user once", admins: []string{"alice"}, revoke: []string{"user:bob", "role:engineer"}, by: admin, off: []string{"bob"}, revoked: 2},
		{name: "one admin of two may go", admins: []string{"alice", "root"}, revoke: []string{"user:alice"}, by: admin, off: []string{"alice"}, revoked: 1},
		{name: "the last admin stays", admins: []string{"alice"}, revoke: []string{"user:alice", "user:bob"}, by: admin,
			wantErr: ErrLastAdmin, errHas: "revoking user alice;"},
		{name: "revoking the admin role names every admin", admins: []string{"root", "alice"}, revoke: []string{"role:admin"}, by: admin,
			wantErr: ErrLastAdmin, errHas: "revoking user alice, root;"},
		{name: "only an admin disables users", admins: []string{"alice"}, revoke: []string{"user:bob"}, by: compliance,
			wantErr: ErrForbidden, errHas: "console users"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			rv, st, log, ids := reviewEnv(t)
			dir := &memUsers{users: consoleUsers(tc.admins...)}
			rv.WithUsers(dir)
			r, items, err := rv.Start(ctx, compliance, StartRequest{})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				d := Keep
				if slices.Contains(tc.revoke, it.ID) {
					d = Revoke
				}
				if _, err := rv.Decide(ctx, compliance, r.ID, it.ID, d, "checked with the manager"); err != nil {
					t.Fatalf("decide %s: %v", it.ID, err)
				}
			}
			done, err := rv.Complete(ctx, tc.by, r.ID)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("complete: %v, want %v naming %q", err, tc.wantErr, tc.errHas)
				}
				// Refused before anything was applied.
				if len(dir.disabled) > 0 || !st.keys[ids["old-bot"]].Revoked.IsZero() {
					t.Fatalf("a refused completion applied revocations: users %v", dir.disabled)
				}
				if got, _, _ := rv.Get(ctx, r.ID); !got.Completed.IsZero() {
					t.Fatal("a refused review is marked completed")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(dir.disabled, tc.off) {
				t.Fatalf("disabled users %v, want %v", dir.disabled, tc.off)
			}
			for _, reason := range dir.reasons {
				if reason != "access review "+r.ID {
					t.Fatalf("disable reason %q does not name the review", reason)
				}
			}
			if dir.isDisabled("cy") {
				t.Fatal("a kept user was disabled")
			}
			if done.Revoked != tc.revoked {
				t.Fatalf("revoked = %d, want %d", done.Revoked, tc.revoked)
			}
			var body struct {
				RevokedKeys  int `json:"revoked_keys"`
				RevokedUsers int `json:"revoked_users"`
			}
			last := log.events[len(log.events)-1]
			if last.Type != EventReviewCompleted || json.Unmarshal(last.Body, &body) != nil || body.RevokedUsers != len(tc.off) || body.RevokedKeys+body.RevokedUsers != tc.revoked {
				t.Fatalf("completion event %s %s", last.Type, last.Body)
			}
			for _, e := range log.events {
				if e.Type == EventReviewDecision && strings.Contains(string(e.Body), `"user:bob"`) &&
					!slices.Contains(e.Subjects, ledger.Ref{Kind: "console_user", ID: "bob"}) {
					t.Fatalf("decision on bob has subjects %v", e.Subjects)
				}
			}
		})
	}
}

// TestReviewUsersUnreachable fails closed when a campaign that revokes a
// user is completed where no user directory is wired.
func TestReviewUsersUnreachable(t *testing.T) {
	ctx := context.Background()
	rv, st, log, _ := reviewEnv(t)
	rv.WithUsers(&memUsers{users: consoleUsers("alice")})
	r, items, err := rv.Start(ctx, compliance, StartRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		d := Keep
		if it.ID == "user:bob" {
			d = Revoke
		}
		if _, err := rv.Decide(ctx, compliance, r.ID, it.ID, d, ""); err != nil {
			t.Fatal(err)
		}
	}
	keysOnly := NewReviews(st, st, NewService(st, log), log)
	if _, err := keysOnly.Complete(ctx, admin, r.ID); err == nil || !strings.Contains(err.Error(), "cannot be reached") {
		t.Fatalf("completing without a directory: %v", err)
	}
}
