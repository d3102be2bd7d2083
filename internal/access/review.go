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
	// Revoked counts the keys and console users the campaign revoked.
	Revoked int `json:"revoked"`
}

// ReviewItem is one principal under review: an API key, a console user, or
// a role with the keys and users that hold it.
type ReviewItem struct {
	Review string `json:"review"`
	// ID is "key:<key id>", "user:<name>" or "role:<role>".
	ID        string           `json:"id"`
	Kind      string           `json:"kind"` // "key", "user" or "role"
	Tenant    string           `json:"tenant,omitempty"`
	Name      string           `json:"name"`
	Role      Role             `json:"role"`
	ActorKind ledger.ActorKind `json:"actor_kind,omitempty"`
	// Holders are who hold a role item's role: key ids, and console users
	// as "user:<name>".
	Holders     []string     `json:"holders,omitempty"`
	Permissions []Permission `json:"permissions,omitempty"`
	// SignIn is how a user item signs in: password, oidc or both.
	SignIn []string `json:"sign_in,omitempty"`
	// LastUsed is a user item's last sign-in.
	LastUsed time.Time `json:"last_used,omitzero"`
	Decision string    `json:"decision,omitempty"`
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
// through the key service and the console's user directory when the
// campaign completes, and completion is recorded in the ledger as evidence.
type Reviews struct {
	st    ReviewStore
	keys  Store
	svc   *Service
	users UserDirectory // nil: campaigns cover keys and roles only
	log   ledger.Appender
	now   func() time.Time
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

// Start opens a campaign listing every active key and enabled console user
// in scope, and every role they hold.
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
	users, err := s.userItems(ctx, r.ID, req.Tenant)
	if err != nil {
		return Review{}, nil, err
	}
	for _, it := range users {
		holders[it.Role] = append(holders[it.Role], it.ID)
	}
	items = append(items, users...)
	for _, role := range Roles {
		if len(holders[role]) == 0 {
			continue
		}
		items = append(items, ReviewItem{Review: r.ID, ID: "role:" + string(role), Kind: "role", Name: string(role), Role: role, Holders: holders[role], Permissions: grants[role]})
	}
	if len(items) == 0 {
		return Review{}, nil, fmt.Errorf("%w: no active keys or console users in scope to review", ErrInvalidRequest)
	}
	r.Items = len(items)
	if _, err := s.log.Append(ctx, ledger.MustEvent(EventReviewStarted, reviewTenant(r), by.Actor(),
		map[string]any{"review_id": r.ID, "scope": scopeName(r), "items": len(items), "users": len(users), "due": r.Due}, ledger.Ref{Kind: "access_review", ID: r.ID})); err != nil {
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

// ownsItem reports whether the item covers the reviewer's own key or
// console user.
func ownsItem(by Principal, it ReviewItem) bool {
	own, held := "key:"+by.ID, by.ID
	switch by.Kind {
	case "key":
	case kindUser:
		own = userItemID(by.ID)
		held = own
	default:
		return false
	}
	return it.ID == own || slices.Contains(it.Holders, held)
}

// personOwnsItem reports whether the item covers a key or login of the
// person behind the reviewer: a console user reviewing their own human
// key, or the key reviewing its owner's login.
func (s *Reviews) personOwnsItem(ctx context.Context, by Principal, it ReviewItem) (bool, error) {
	me, err := s.svc.Person(ctx, by.Actor())
	if err != nil || me == by.Actor().ID && by.Kind != kindUser {
		// A principal that is only itself is covered by ownsItem.
		return false, err
	}
	covered := []string{it.ID}
	if it.Kind == "role" {
		covered = covered[:0]
		for _, h := range it.Holders {
			if !strings.HasPrefix(h, kindUser+":") {
				h = "key:" + h
			}
			covered = append(covered, h)
		}
	}
	for _, id := range covered {
		p, err := s.svc.Person(ctx, ledger.Actor{ID: id})
		if err != nil {
			return false, err
		}
		if p == me {
			return true, nil
		}
	}
	return false, nil
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
	own := ownsItem(by, it)
	if !own {
		// Another key or login of the same person; this reads keys.
		if own, err = s.personOwnsItem(ctx, by, it); err != nil {
			return ReviewItem{}, err
		}
	}
	if own {
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

// itemRef is the item's subject in the ledger. A user is referred to as
// the console's own events refer to it.
func itemRef(it ReviewItem) ledger.Ref {
	kind, id, _ := strings.Cut(it.ID, ":")
	if kind == kindUser {
		kind = "console_user"
	}
	return ledger.Ref{Kind: kind, ID: id}
}

// Complete applies every revocation and records the campaign's
// completion. Every item must be decided first. Revoking a key revokes it
// through the key service; revoking a user disables them and ends their
// sessions; revoking a role does both to each key and user that held the
// role when the campaign began. Revocations that would leave no enabled
// console admin are refused before any is applied.
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
	// Resolve every revocation to the keys and users it covers first, so
	// that a refusal leaves nothing half applied.
	kept, keys, seen := 0, 0, map[string]bool{}
	var users []string
	for _, it := range items {
		if it.Decision == Keep {
			kept++
			continue
		}
		for _, t := range revokes(it) {
			if seen[t] {
				continue
			}
			seen[t] = true
			if name, ok := strings.CutPrefix(t, kindUser+":"); ok {
				users = append(users, name)
			} else {
				keys++
			}
		}
	}
	if keys > 0 && !by.Role.Can(PermKeys) {
		return Review{}, fmt.Errorf("%w: the review revokes access, which the %s role cannot apply; ask an admin to complete it", ErrForbidden, by.Role)
	}
	if len(users) > 0 {
		if by.Role != RoleAdmin {
			return Review{}, fmt.Errorf("%w: the review disables console users, which only an admin may do; ask an admin to complete it", ErrForbidden)
		}
		if s.users == nil {
			return Review{}, errors.New("the review disables console users, but they cannot be reached from here; complete it from the console or with 'attest controls review complete'")
		}
		if err := s.keepsAnAdmin(ctx, users); err != nil {
			return Review{}, err
		}
	}
	done := map[string]bool{}
	for i := range items {
		it := &items[i]
		if it.Decision == Keep {
			continue
		}
		for _, t := range revokes(*it) {
			if done[t] {
				continue
			}
			if err := s.revoke(ctx, by, r, t); err != nil {
				return Review{}, fmt.Errorf("%w (completed revocations stay in force; fix the cause and complete again)", err)
			}
			done[t] = true
		}
		it.Applied = s.now().UTC()
		if err := s.st.UpdateReviewItem(ctx, *it); err != nil {
			return Review{}, fmt.Errorf("store applied revocation: %w", err)
		}
	}
	r.Completed, r.CompletedBy, r.Revoked = s.now().UTC(), by.Actor().ID, keys+len(users)
	if _, err := s.log.Append(ctx, ledger.MustEvent(EventReviewCompleted, reviewTenant(r), by.Actor(),
		map[string]any{"review_id": r.ID, "scope": scopeName(r), "items": len(items), "kept": kept, "revoked_keys": keys, "revoked_users": len(users), "started": r.Started, "due": r.Due},
		ledger.Ref{Kind: "access_review", ID: r.ID})); err != nil {
		return Review{}, fmt.Errorf("record completion: %w", err)
	}
	if err := s.st.UpdateReview(ctx, r); err != nil {
		return Review{}, fmt.Errorf("store completion: %w", err)
	}
	return r, nil
}

// revokes lists what a revoke decision on the item takes away: key ids,
// and users as "user:<name>".
func revokes(it ReviewItem) []string {
	switch it.Kind {
	case "key":
		return []string{strings.TrimPrefix(it.ID, "key:")}
	case kindUser:
		return []string{it.ID}
	}
	return it.Holders
}

// revoke takes one key or user's access away. Each is its own ledger
// event: key.revoked, or console.user_updated naming the campaign.
func (s *Reviews) revoke(ctx context.Context, by Principal, r Review, target string) error {
	if name, ok := strings.CutPrefix(target, kindUser+":"); ok {
		if err := s.users.DisableUser(ctx, by.Actor(), name, "access review "+r.ID); err != nil {
			return fmt.Errorf("disable console user %s: %w", name, err)
		}
		return nil
	}
	if _, err := s.svc.Revoke(ctx, by, target); err != nil {
		return fmt.Errorf("revoke key %s: %w", target, err)
	}
	return nil
}
