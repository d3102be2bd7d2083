package access

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// memStore is an in-memory key and review store for tests.
type memStore struct {
	mu      sync.Mutex
	keys    map[string]Key
	reviews map[string]Review
	items   map[string][]ReviewItem
}

func newMemStore() *memStore {
	return &memStore{keys: map[string]Key{}, reviews: map[string]Review{}, items: map[string][]ReviewItem{}}
}

func (m *memStore) CreateKey(_ context.Context, k Key) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[k.ID] = k
	return nil
}

func (m *memStore) Key(_ context.Context, id string) (Key, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[id]
	if !ok {
		return k, ErrNotFound
	}
	return k, nil
}

func (m *memStore) Keys(_ context.Context, tenant string) ([]Key, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Key
	for _, k := range m.keys {
		if tenant == "" || k.Tenant == tenant {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b Key) int { return a.Created.Compare(b.Created) })
	return out, nil
}

func (m *memStore) UpdateKey(_ context.Context, k Key) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[k.ID] = k
	return nil
}

func (m *memStore) CreateReview(_ context.Context, r Review, items []ReviewItem) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reviews[r.ID], m.items[r.ID] = r, slices.Clone(items)
	return nil
}

func (m *memStore) Review(_ context.Context, id string) (Review, []ReviewItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.reviews[id]
	if !ok {
		return r, nil, ErrNotFound
	}
	return r, slices.Clone(m.items[id]), nil
}

func (m *memStore) Reviews(context.Context) ([]Review, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Review
	for _, r := range m.reviews {
		out = append(out, r)
	}
	return out, nil
}

func (m *memStore) UpdateReview(_ context.Context, r Review) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reviews[r.ID] = r
	return nil
}

func (m *memStore) UpdateReviewItem(_ context.Context, it ReviewItem) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	items := m.items[it.Review]
	i := slices.IndexFunc(items, func(x ReviewItem) bool { return x.ID == it.ID })
	if i < 0 {
		return ErrNotFound
	}
	items[i] = it
	return nil
}

// memLog is an in-memory ledger appender.
type memLog struct {
	mu     sync.Mutex
	events []ledger.Event
}

func (l *memLog) Append(_ context.Context, e ledger.Event) (uint64, error) {
	if _, err := e.Canonical(time.Now()); err != nil {
		return 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
	return uint64(len(l.events) - 1), nil
}

func (l *memLog) types() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.events {
		out = append(out, e.Type)
	}
	return out
}

var (
	admin      = Principal{ID: "adm", Kind: "key", Tenant: "default", Role: RoleAdmin, ActorKind: ledger.ActorHuman}
	compliance = Principal{ID: "cmp", Kind: "key", Tenant: "default", Role: RoleCompliance, ActorKind: ledger.ActorHuman}
)

func reviewEnv(t *testing.T) (*Reviews, *memStore, *memLog, map[string]string) {
	t.Helper()
	st, log := newMemStore(), &memLog{}
	svc := NewService(st, log)
	rv := NewReviews(st, st, svc, log)
	ids := map[string]string{}
	for _, r := range []KeyRequest{
		{Tenant: "acme", Name: "ci", Role: RoleConsumer, Limits: Limits{RPM: 10}},
		{Tenant: "acme", Name: "old-bot", Role: RoleEngineer, ActorKind: ledger.ActorAgent},
		{Tenant: "beta", Name: "ops", Role: RoleOperator},
	} {
		_, k, err := svc.CreateKey(context.Background(), admin, r)
		if err != nil {
			t.Fatal(err)
		}
		ids[r.Name] = k.ID
		time.Sleep(time.Millisecond) // distinct creation order
	}
	st.keys["adm"] = Key{ID: "adm", Tenant: "default", Name: "admin", Role: RoleAdmin, ActorKind: ledger.ActorHuman, Created: time.Now()}
	return rv, st, log, ids
}

func TestReviewCampaign(t *testing.T) {
	ctx := context.Background()
	rv, st, log, ids := reviewEnv(t)
	r, items, err := rv.Start(ctx, compliance, StartRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.ID)
	}
	// Every active key and every role held by an active key.
	for _, want := range []string{"key:" + ids["ci"], "key:" + ids["old-bot"], "key:" + ids["ops"], "key:adm", "role:consumer", "role:engineer", "role:operator", "role:admin"} {
		if !slices.Contains(got, want) {
			t.Fatalf("campaign items %v lack %s", got, want)
		}
	}
	if r.Items != len(items) || r.Due.Sub(r.Started) != 14*24*time.Hour {
		t.Fatalf("review %+v", r)
	}
	if _, err := rv.Complete(ctx, admin, r.ID); !errors.Is(err, ErrUndecided) {
		t.Fatalf("completing with undecided items: %v", err)
	}
	for _, it := range items {
		d := Keep
		if it.ID == "key:"+ids["old-bot"] {
			d = Revoke
		}
		by := compliance
		if it.ID == "key:adm" || it.ID == "role:admin" {
			// The admin cannot review their own access; compliance can.
			if _, err := rv.Decide(ctx, admin, r.ID, it.ID, d, ""); !errors.Is(err, ErrSelfReview) {
				t.Fatalf("self review of %s: %v", it.ID, err)
			}
		}
		if _, err := rv.Decide(ctx, by, r.ID, it.ID, d, "reviewed with owner"); err != nil {
			t.Fatalf("decide %s: %v", it.ID, err)
		}
	}
	// A compliance officer decides but cannot revoke keys; an admin completes.
	if _, err := rv.Complete(ctx, compliance, r.ID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("compliance applying revocations: %v", err)
	}
	done, err := rv.Complete(ctx, admin, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.Completed.IsZero() || done.Revoked != 1 || done.Decided != len(items) {
		t.Fatalf("completed review %+v", done)
	}
	if k := st.keys[ids["old-bot"]]; k.Revoked.IsZero() {
		t.Fatal("the revoke decision was not applied")
	}
	if k := st.keys[ids["ci"]]; !k.Revoked.IsZero() {
		t.Fatal("a kept key was revoked")
	}
	types := log.types()
	if types[len(types)-1] != EventReviewCompleted || !slices.Contains(types, EventReviewStarted) || !slices.Contains(types, "key.revoked") {
		t.Fatalf("ledger events %v", types)
	}
	var body map[string]any
	for _, e := range log.events {
		if e.Type == EventReviewDecision {
			json.Unmarshal(e.Body, &body)
			if _, leaked := body["note"]; leaked {
				t.Fatal("the reviewer's note reached the ledger")
			}
		}
	}
	if _, err := rv.Decide(ctx, admin, r.ID, items[0].ID, Keep, ""); !errors.Is(err, ErrReviewClosed) {
		t.Fatalf("deciding after completion: %v", err)
	}
}

func TestReviewRoleRevocation(t *testing.T) {
	ctx := context.Background()
	rv, st, _, ids := reviewEnv(t)
	r, items, err := rv.Start(ctx, admin, StartRequest{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		d := Keep
		if it.ID == "role:engineer" {
			d = Revoke
		}
		if _, err := rv.Decide(ctx, admin, r.ID, it.ID, d, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := rv.Complete(ctx, admin, r.ID); err != nil {
		t.Fatal(err)
	}
	if st.keys[ids["old-bot"]].Revoked.IsZero() || !st.keys[ids["ops"]].Revoked.IsZero() {
		t.Fatal("revoking the engineer role must revoke its holders in scope only")
	}
}

func TestReviewRejects(t *testing.T) {
	ctx := context.Background()
	rv, _, _, _ := reviewEnv(t)
	eng := Principal{ID: "e", Kind: "key", Role: RoleEngineer, ActorKind: ledger.ActorHuman}
	if _, _, err := rv.Start(ctx, eng, StartRequest{}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("engineer starting a review: %v", err)
	}
	if _, _, err := rv.Start(ctx, admin, StartRequest{Tenant: "nobody"}); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("empty scope: %v", err)
	}
	r, items, err := rv.Start(ctx, admin, StartRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rv.Decide(ctx, compliance, r.ID, items[0].ID, "maybe", ""); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("bad decision: %v", err)
	}
	if _, err := rv.Decide(ctx, compliance, r.ID, "key:none", Keep, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown item: %v", err)
	}
	if _, err := rv.Decide(ctx, compliance, "ar-none", items[0].ID, Keep, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown review: %v", err)
	}
}
