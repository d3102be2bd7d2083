package access

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// Access-review ledger events.
const (
	EventReviewStarted   = "access_review.started"
	EventReviewDecision  = "access_review.decision"
	EventReviewCompleted = "access_review.completed"
)

// Decisions a reviewer can take on an item.
const (
	Keep   = "keep"
	Revoke = "revoke"
)

// Review is an access-review campaign: every principal in scope listed for
// a reviewer to keep or revoke.
type Review struct {
	ID string `json:"id"`
	// Tenant limits the campaign to one tenant; empty covers all.
	Tenant    string    `json:"tenant,omitempty"`
	StartedBy string    `json:"started_by"`
	Started   time.Time `json:"started"`
	Due       time.Time `json:"due"`
	Completed time.Time `json:"completed,omitzero"`
	// CompletedBy is who completed it and applied the revocations.
	CompletedBy string `json:"completed_by,omitempty"`
	Items       int    `json:"items"`
	Decided     int    `json:"decided"`
	Revoked     int    `json:"revoked"`
}

// ReviewItem is one principal under review: an API key, or a role with the
// keys that hold it.
type ReviewItem struct {
	Review string `json:"review"`
	// ID is "key:<key id>" or "role:<role>".
	ID        string           `json:"id"`
	Kind      string           `json:"kind"` // "key" or "role"
	Tenant    string           `json:"tenant,omitempty"`
	Name      string           `json:"name"`
	Role      Role             `json:"role"`
	ActorKind ledger.ActorKind `json:"actor_kind,omitempty"`
	// Holders are the key ids that hold a role item's role.
	Holders     []string     `json:"holders,omitempty"`
	Permissions []Permission `json:"permissions,omitempty"`
	LastUsed    time.Time    `json:"last_used,omitzero"`
	Decision    string       `json:"decision,omitempty"`
	// Note is the reviewer's reason. It stays in the store and never goes
	// into the ledger, which gets only the decision.
	Note      string    `json:"note,omitempty"`
	DecidedBy string    `json:"decided_by,omitempty"`
	Decided   time.Time `json:"decided,omitzero"`
	Applied   time.Time `json:"applied,omitzero"`
}

// ReviewStore persists campaigns.
type ReviewStore interface {
	CreateReview(ctx context.Context, r Review, items []ReviewItem) error
	// Review returns a campaign and its items, or ErrNotFound.
	Review(ctx context.Context, id string) (Review, []ReviewItem, error)
	// Reviews lists campaigns, newest first.
	Reviews(ctx context.Context) ([]Review, error)
	UpdateReview(ctx context.Context, r Review) error
	UpdateReviewItem(ctx context.Context, it ReviewItem) error
}

// Reviews runs access-review campaigns. Decisions to revoke are applied
// through the key service when the campaign completes, and completion is
// recorded in the ledger as evidence.
type Reviews struct {
	st   ReviewStore
	keys Store
	svc  *Service
	log  ledger.Appender
	now  func() time.Time
}

// NewReviews returns the campaign service.
func NewReviews(st ReviewStore, keys Store, svc *Service, log ledger.Appender) *Reviews {
	return &Reviews{st: st, keys: keys, svc: svc, log: log, now: time.Now}
}

// Errors of the review workflow, mapped to 4xx answers.
var (
	ErrReviewClosed   = errors.New("the access review is already completed")
	ErrUndecided      = errors.New("the access review has undecided items")
	ErrSelfReview     = errors.New("a reviewer cannot decide on their own access")
	ErrInvalidRequest = errors.New("invalid request")
)

// StartRequest scopes a new campaign.
type StartRequest struct {
	Tenant string `json:"tenant,omitempty"`
	// DueIn is how long reviewers have; default 14 days.
	DueIn time.Duration `json:"-"`
}

func canReview(by Principal) error {
	if by.Role.Can(PermCompliance) {
		return nil
	}
	return fmt.Errorf("%w: the %s role cannot run access reviews; use an admin or compliance key", ErrForbidden, by.Role)
}

func newReviewID(t time.Time) string {
	b := make([]byte, 4)
	rand.Read(b)
	return "ar-" + t.Format("20060102") + "-" + hex.EncodeToString(b)
}

// Start opens a campaign listing every active key in scope and every role
// that active keys hold.
func (s *Reviews) Start(ctx context.Context, by Principal, req StartRequest) (Review, []ReviewItem, error) {
	if err := canReview(by); err != nil {
		return Review{}, nil, err
	}
	if req.DueIn <= 0 {
		req.DueIn = 14 * 24 * time.Hour
	}
	now := s.now().UTC()
	keys, err := s.keys.Keys(ctx, req.Tenant)
	if err != nil {
		return Review{}, nil, fmt.Errorf("list keys: %w", err)
	}
	r := Review{ID: newReviewID(now), Tenant: req.Tenant, StartedBy: by.Actor().ID, Started: now, Due: now.Add(req.DueIn)}
	var items []ReviewItem
	holders := map[Role][]string{}
	for _, k := range keys {
		if k.Active(now) != nil {
			continue
		}
		items = append(items, ReviewItem{Review: r.ID, ID: "key:" + k.ID, Kind: "key", Tenant: k.Tenant, Name: k.Name, Role: k.Role, ActorKind: k.ActorKind})
		holders[k.Role] = append(holders[k.Role], k.ID)
	}
	for _, role := range Roles {
		if len(holders[role]) == 0 {
			continue
		}
		items = append(items, ReviewItem{Review: r.ID, ID: "role:" + string(role), Kind: "role", Name: string(role), Role: role, Holders: holders[role], Permissions: grants[role]})
	}
	if len(items) == 0 {
		return Review{}, nil, fmt.Errorf("%w: no active keys in scope to review", ErrInvalidRequest)
	}
	r.Items = len(items)
	if _, err := s.log.Append(ctx, ledger.MustEvent(EventReviewStarted, reviewTenant(r), by.Actor(),
		map[string]any{"review_id": r.ID, "scope": scopeName(r), "items": len(items), "due": r.Due}, ledger.Ref{Kind: "access_review", ID: r.ID})); err != nil {
		return Review{}, nil, fmt.Errorf("record review start: %w", err)
	}
	if err := s.st.CreateReview(ctx, r, items); err != nil {
		return Review{}, nil, fmt.Errorf("store review: %w", err)
	}
	return r, items, nil
}

// reviewTenant is the tenant a campaign's events belong to.
func reviewTenant(r Review) string {
	if r.Tenant == "" {
		return "system"
	}
	return r.Tenant
}

func scopeName(r Review) string {
	if r.Tenant == "" {
		return "all tenants"
	}
	return "tenant " + r.Tenant
}

// Get returns a campaign and its items.
func (s *Reviews) Get(ctx context.Context, id string) (Review, []ReviewItem, error) {
	return s.st.Review(ctx, id)
}

// List returns every campaign, newest first.
func (s *Reviews) List(ctx context.Context) ([]Review, error) { return s.st.Reviews(ctx) }

// ownsItem reports whether the item covers the reviewer's own credential.
func ownsItem(by Principal, it ReviewItem) bool {
	if by.Kind != "key" {
		return false
	}
	return it.ID == "key:"+by.ID || slices.Contains(it.Holders, by.ID)
}

// Decide records a reviewer's keep or revoke decision on one item.
// Nothing is revoked until the campaign completes.
func (s *Reviews) Decide(ctx context.Context, by Principal, reviewID, itemID, decision, note string) (ReviewItem, error) {
	if err := canReview(by); err != nil {
		return ReviewItem{}, err
	}
	if decision != Keep && decision != Revoke {
		return ReviewItem{}, fmt.Errorf("%w: decision %q must be keep or revoke", ErrInvalidRequest, decision)
	}
	if len(note) > 1000 {
		return ReviewItem{}, fmt.Errorf("%w: the note is over 1000 characters", ErrInvalidRequest)
	}
	r, items, err := s.st.Review(ctx, reviewID)
	if err != nil {
		return ReviewItem{}, err
	}
	if !r.Completed.IsZero() {
		return ReviewItem{}, ErrReviewClosed
	}
	i := slices.IndexFunc(items, func(it ReviewItem) bool { return it.ID == itemID })
	if i < 0 {
		return ReviewItem{}, fmt.Errorf("item %s: %w", itemID, ErrNotFound)
	}
	it := items[i]
	if ownsItem(by, it) {
		return ReviewItem{}, ErrSelfReview
	}
	first := it.Decision == ""
	it.Decision, it.Note, it.DecidedBy, it.Decided = decision, strings.TrimSpace(note), by.Actor().ID, s.now().UTC()
	if _, err := s.log.Append(ctx, ledger.MustEvent(EventReviewDecision, reviewTenant(r), by.Actor(),
		map[string]any{"review_id": r.ID, "item": it.ID, "kind": it.Kind, "decision": decision},
		ledger.Ref{Kind: "access_review", ID: r.ID}, itemRef(it))); err != nil {
		return ReviewItem{}, fmt.Errorf("record decision: %w", err)
	}
	if err := s.st.UpdateReviewItem(ctx, it); err != nil {
		return ReviewItem{}, fmt.Errorf("store decision: %w", err)
	}
	if first {
		r.Decided++
		if err := s.st.UpdateReview(ctx, r); err != nil {
			return ReviewItem{}, fmt.Errorf("store review: %w", err)
		}
	}
	return it, nil
}

func itemRef(it ReviewItem) ledger.Ref {
	kind, id, _ := strings.Cut(it.ID, ":")
	return ledger.Ref{Kind: kind, ID: id}
}

// Complete applies every revocation through the key service and records
// the campaign's completion. Every item must be decided first. Revoking a
// role item revokes each key that held the role when the campaign began.
func (s *Reviews) Complete(ctx context.Context, by Principal, reviewID string) (Review, error) {
	if err := canReview(by); err != nil {
		return Review{}, err
	}
	r, items, err := s.st.Review(ctx, reviewID)
	if err != nil {
		return Review{}, err
	}
	if !r.Completed.IsZero() {
		return Review{}, ErrReviewClosed
	}
	var undecided []string
	for _, it := range items {
		if it.Decision == "" {
			undecided = append(undecided, it.ID)
		}
	}
	if len(undecided) > 0 {
		return Review{}, fmt.Errorf("%w: decide %s first", ErrUndecided, strings.Join(undecided[:min(5, len(undecided))], ", "))
	}
	if slices.ContainsFunc(items, func(it ReviewItem) bool { return it.Decision == Revoke }) && !by.Role.Can(PermKeys) {
		return Review{}, fmt.Errorf("%w: the review revokes access, which the %s role cannot apply; ask an admin to complete it", ErrForbidden, by.Role)
	}
	kept, revoked := 0, map[string]bool{}
	for i := range items {
		it := &items[i]
		if it.Decision == Keep {
			kept++
			continue
		}
		targets := it.Holders
		if it.Kind == "key" {
			targets = []string{strings.TrimPrefix(it.ID, "key:")}
		}
		for _, id := range targets {
			if revoked[id] {
				continue
			}
			if _, err := s.svc.Revoke(ctx, by, id); err != nil {
				return Review{}, fmt.Errorf("revoke key %s: %w (completed revocations stay in force; fix the cause and complete again)", id, err)
			}
			revoked[id] = true
		}
		it.Applied = s.now().UTC()
		if err := s.st.UpdateReviewItem(ctx, *it); err != nil {
			return Review{}, fmt.Errorf("store applied revocation: %w", err)
		}
	}
	r.Completed, r.CompletedBy, r.Revoked = s.now().UTC(), by.Actor().ID, len(revoked)
	if _, err := s.log.Append(ctx, ledger.MustEvent(EventReviewCompleted, reviewTenant(r), by.Actor(),
		map[string]any{"review_id": r.ID, "scope": scopeName(r), "items": len(items), "kept": kept, "revoked_keys": len(revoked), "started": r.Started, "due": r.Due},
		ledger.Ref{Kind: "access_review", ID: r.ID})); err != nil {
		return Review{}, fmt.Errorf("record completion: %w", err)
	}
	if err := s.st.UpdateReview(ctx, r); err != nil {
		return Review{}, fmt.Errorf("store completion: %w", err)
	}
	return r, nil
}
