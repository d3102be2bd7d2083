package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// Ledger events of change management.
const (
	EventChangeRequested = "change.requested"
	EventChangeApproved  = "change.approved"
	EventChangeRejected  = "change.rejected"
	EventChangeEmergency = "change.emergency"
	EventChangeReviewed  = "change.reviewed"
)

// DecisionPredicateType identifies signed change decisions.
const DecisionPredicateType = "https://attest.dev/change-decision/v1"

// Change statuses.
const (
	StatusPending  = "pending"
	StatusApplied  = "applied"
	StatusRejected = "rejected"
)

// Decisions a signed statement can carry.
const (
	DecisionApproved       = "approved"
	DecisionRejected       = "rejected"
	DecisionReviewAccepted = "review_accepted"
	DecisionReviewRejected = "review_rejected"
)

// ErrUnsigned refuses to promote a version without an accepted signature.
var ErrUnsigned = fmt.Errorf("%w: an unsigned version cannot be promoted", ErrConflict)

// Ticket links a change to an external tracker.
type Ticket struct {
	Key string `json:"key"`
	URL string `json:"url,omitempty"`
}

// ChangeSpec is a requested change: move an alias to a version.
type ChangeSpec struct {
	Target       Target  `json:"target"`
	Description  string  `json:"description"`
	RollbackPlan string  `json:"rollback_plan"`
	Ticket       *Ticket `json:"ticket,omitempty"`
	// Reason is required for the emergency path.
	Reason string `json:"reason,omitempty"`
}

// Change is a change request and everything decided on it.
type Change struct {
	ID           string       `json:"id"`
	Tenant       string       `json:"tenant"`
	Target       Target       `json:"target"`
	Description  string       `json:"description"`
	RollbackPlan string       `json:"rollback_plan"`
	Ticket       *Ticket      `json:"ticket,omitempty"`
	Risk         Risk         `json:"risk"`
	EvalResults  []string     `json:"eval_results,omitempty"`
	Required     int          `json:"required_approvals"`
	Status       string       `json:"status"`
	RequestedBy  ledger.Actor `json:"requested_by"`
	Requested    time.Time    `json:"requested"`
	Index        uint64       `json:"index"`
	Approvals    []Decision   `json:"approvals"`
	Rejection    *Decision    `json:"rejection,omitempty"`
	Applied      time.Time    `json:"applied,omitzero"`
	AppliedIndex uint64       `json:"applied_index,omitempty"`

	Emergency bool      `json:"emergency,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	ReviewDue time.Time `json:"review_due,omitzero"`
	Review    *Decision `json:"review,omitempty"`
}

// ReviewOverdue reports whether an emergency change still lacks its review
// after the deadline: an open finding.
func (c *Change) ReviewOverdue(now time.Time) bool {
	return c.Emergency && c.Review == nil && now.After(c.ReviewDue)
}

// Decision is one signed decision on a change.
type Decision struct {
	Decision string       `json:"decision"`
	Actor    ledger.Actor `json:"actor"`
	Comment  string       `json:"comment,omitempty"`
	Time     time.Time    `json:"time"`
	Index    uint64       `json:"index"`
	// Envelope holds the signed statement; see VerifyDecision.
	Envelope Envelope `json:"envelope"`
}

// DecisionStatement is the predicate of a signed decision.
type DecisionStatement struct {
	ChangeID  string       `json:"change_id"`
	Decision  string       `json:"decision"`
	Decider   ledger.Actor `json:"decider"`
	Requester ledger.Actor `json:"requester"`
	Target    Target       `json:"target"`
	Emergency bool         `json:"emergency,omitempty"`
	Time      time.Time    `json:"time"`
	// CommentSHA256 commits to the decider's comment, kept in the store.
	CommentSHA256 string `json:"comment_sha256,omitempty"`
}

// VerifyDecision checks a decision envelope against the ledger verifier
// key and returns what it states.
func VerifyDecision(env Envelope, vkey string) (DecisionStatement, error) {
	payload, err := VerifyEnvelope(env, vkey)
	if err != nil {
		return DecisionStatement{}, err
	}
	var st struct {
		PredicateType string            `json:"predicateType"`
		Predicate     DecisionStatement `json:"predicate"`
	}
	if err := json.Unmarshal(payload, &st); err != nil || st.PredicateType != DecisionPredicateType {
		return DecisionStatement{}, fmt.Errorf("%w: not a change decision statement", ErrBadEnvelope)
	}
	return st.Predicate, nil
}

func (s *Service) checkChangeSpec(spec *ChangeSpec) error {
	if err := spec.Target.check(); err != nil {
		return err
	}
	if spec.Description == "" || spec.RollbackPlan == "" {
		return fmt.Errorf("%w: a change needs a description and a rollback plan", ErrInvalid)
	}
	for what, v := range map[string]string{"description": spec.Description, "rollback_plan": spec.RollbackPlan, "reason": spec.Reason} {
		if err := limitText(what, v, 4000); err != nil {
			return err
		}
	}
	if t := spec.Ticket; t != nil {
		if !ledger.ValidID(t.Key) || len(t.Key) > 64 {
			return fmt.Errorf("%w: ticket key must be 1-64 printable characters without spaces, such as OPS-123", ErrInvalid)
		}
		if t.URL != "" {
			u, err := url.Parse(t.URL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(t.URL) > 1000 {
				return fmt.Errorf("%w: ticket url must be an absolute http(s) URL", ErrInvalid)
			}
		}
	}
	return nil
}

// subject is what a change is about, resolved and checked.
type subject struct {
	risk   Risk
	digest string
	refs   []ledger.Ref
	evals  []string
}

// resolve checks that the target exists and may be promoted.
func (s *Service) resolve(ctx context.Context, tenant string, t Target, gate bool) (subject, error) {
	switch t.Kind {
	case KindModel:
		m, err := s.Model(ctx, tenant, t.Name)
		if err != nil {
			return subject{}, err
		}
		v, err := s.Version(ctx, tenant, t.ref())
		if err != nil {
			return subject{}, err
		}
		if v.Signature == nil {
			return subject{}, fmt.Errorf("%w: %s has no accepted OMS signature; sign it with 'attest model sign' and attach the bundle", ErrUnsigned, v.ID())
		}
		if ok, err := s.keyTrusted(ctx, tenant, v.Signature.KeyHint); err != nil || !ok {
			return subject{}, fmt.Errorf("%w: %s was signed by key %s, which is no longer trusted; sign it again", ErrUnsigned, v.ID(), v.Signature.KeyHint)
		}
		sub := subject{risk: m.Risk, digest: v.Digest, refs: []ledger.Ref{versionRef(v.ID()), modelRef(m.Name)}}
		if gate && t.Alias == AliasProduction {
			if sub.evals, err = s.gateForPromotion(ctx, tenant, v); err != nil {
				return subject{}, err
			}
		}
		return sub, nil
	case KindPrompt:
		p, err := s.Prompt(ctx, tenant, t.Name)
		if err != nil {
			return subject{}, err
		}
		pv := p.version(t.Version)
		if pv == nil {
			return subject{}, fmt.Errorf("%w: prompt %s has no version %s", ErrNotFound, t.Name, t.Version)
		}
		return subject{risk: p.Risk, digest: pv.Digest, refs: []ledger.Ref{promptVersionRef(t.ref()), promptRef(p.Name)}}, nil
	}
	return subject{}, fmt.Errorf("%w: target kind %q must be model or prompt", ErrInvalid, t.Kind)
}

func (s *Service) required(risk Risk, requester ledger.Actor) int {
	n := s.d.Policy.Approvals[risk]
	if requester.Kind != ledger.ActorHuman && n < 1 {
		n = 1 // a change an agent proposes always needs a human
	}
	return n
}

func changeBody(c *Change, extra map[string]any) map[string]any {
	b := map[string]any{
		"change_id": c.ID, "target_kind": c.Target.Kind, "name": c.Target.Name, "version": c.Target.Version,
		"alias": c.Target.Alias, "percent": c.Target.Percent, "risk": c.Risk, "required_approvals": c.Required,
		"requester_kind": c.RequestedBy.Kind, "emergency": c.Emergency,
	}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// RequestChange opens a change request to move an alias to a version. A
// model version must be signed, and for production it must have passed
// every evaluation gate of its model, no worse than production by more
// than each suite's margin.
func (s *Service) RequestChange(ctx context.Context, tenant string, actor ledger.Actor, spec ChangeSpec) (Change, error) {
	if err := s.checkChangeSpec(&spec); err != nil {
		return Change{}, err
	}
	sub, err := s.resolve(ctx, tenant, spec.Target, true)
	if err != nil {
		return Change{}, err
	}
	if a, err := s.aliases.Get(ctx, tenant, spec.Target.aliasID()); err == nil && a.Version == spec.Target.Version && a.Percent == spec.Target.Percent {
		return Change{}, fmt.Errorf("%w: %s already points at %s", ErrConflict, spec.Target.Alias, spec.Target.ref())
	}
	c := Change{
		ID: newID("chg_"), Tenant: tenant, Target: spec.Target, Description: spec.Description, RollbackPlan: spec.RollbackPlan,
		Ticket: spec.Ticket, Risk: sub.risk, EvalResults: sub.evals, Required: s.required(sub.risk, actor),
		Status: StatusPending, RequestedBy: actor, Requested: s.now(), Approvals: []Decision{},
	}
	extra := map[string]any{"kind": "promotion", "description": c.Description, "rollback_plan": c.RollbackPlan, "eval_results": c.EvalResults}
	if c.Ticket != nil {
		extra["ticket_key"], extra["ticket_url"] = c.Ticket.Key, c.Ticket.URL
	}
	if c.Index, err = s.record(ctx, EventChangeRequested, tenant, actor, changeBody(&c, extra), append([]ledger.Ref{changeRef(c.ID)}, sub.refs...)...); err != nil {
		return Change{}, err
	}
	if err := s.changes.Create(ctx, tenant, c.ID, c); err != nil {
		return Change{}, err
	}
	if c.Required == 0 {
		return s.apply(ctx, tenant, actor, c.ID)
	}
	return c, nil
}

// Change returns a change request.
func (s *Service) Change(ctx context.Context, tenant, id string) (Change, error) {
	c, err := s.changes.Get(ctx, tenant, id)
	return c, notFound(err, "no change %q", id)
}

// Changes lists a tenant's change requests ("" for every tenant's).
func (s *Service) Changes(ctx context.Context, tenant string) ([]Change, error) {
	cs, err := s.changes.List(ctx, tenant)
	slices.SortFunc(cs, func(a, b Change) int { return a.Requested.Compare(b.Requested) })
	return cs, err
}

// checkDecider enforces separation of duties: only a human other than the
// requester decides on a change, and one person's other keys or console
// login count as the requester too. It returns the decider's person. If
// the persons cannot be told, nobody decides (fail closed).
func (s *Service) checkDecider(ctx context.Context, c *Change, actor ledger.Actor) (string, error) {
	if actor.Kind != ledger.ActorHuman {
		return "", ErrAgentApproval
	}
	if actor.ID == c.RequestedBy.ID {
		return "", ErrSelfApproval
	}
	pd, err := s.person(ctx, actor)
	if err != nil {
		return "", err
	}
	pr, err := s.person(ctx, c.RequestedBy)
	if err != nil {
		return "", err
	}
	if pd == pr {
		return "", fmt.Errorf("%w (%s and %s are both %s)", ErrSelfApproval, actor.ID, c.RequestedBy.ID, pd)
	}
	return pd, nil
}

// person is who stands behind an actor.
func (s *Service) person(ctx context.Context, a ledger.Actor) (string, error) {
	if s.d.People == nil {
		return a.ID, nil
	}
	p, err := s.d.People.Person(ctx, a)
	if err != nil {
		return "", fmt.Errorf("cannot check separation of duties, so no decision was recorded; retry: %w", err)
	}
	return p, nil
}

// approvedBy reports whether person already approved c.
func (s *Service) approvedBy(ctx context.Context, c *Change, person string) (bool, error) {
	for _, d := range c.Approvals {
		p, err := s.person(ctx, d.Actor)
		if err != nil {
			return false, err
		}
		if p == person {
			return true, nil
		}
	}
	return false, nil
}

// decide signs a decision statement and records it as typ.
func (s *Service) decide(ctx context.Context, tenant string, actor ledger.Actor, c *Change, typ, decision, comment string, extra map[string]any) (Decision, error) {
	d := Decision{Decision: decision, Actor: actor, Comment: comment, Time: s.now()}
	st := DecisionStatement{ChangeID: c.ID, Decision: decision, Decider: actor, Requester: c.RequestedBy, Target: c.Target, Emergency: c.Emergency, Time: d.Time}
	if comment != "" {
		st.CommentSHA256 = sha256Hex([]byte(comment))
	}
	sub, err := s.resolve(ctx, tenant, c.Target, false)
	if err != nil && decision == DecisionApproved {
		return d, err
	}
	digest := sub.digest
	if digest == "" {
		digest = "sha256:" + sha256Hex(nil)
	}
	payload, err := newStatement(DecisionPredicateType, c.Target.ref(), digest, st)
	if err != nil {
		return d, err
	}
	env, err := s.sign(payload)
	if err != nil {
		return d, err
	}
	d.Envelope = *env
	extra["decision"] = decision
	extra["statement_sha256"] = env.payloadSHA256()
	extra["envelope"] = env
	refs := append([]ledger.Ref{changeRef(c.ID)}, c.Target.refs()...)
	d.Index, err = s.record(ctx, typ, tenant, actor, changeBody(c, extra), refs...)
	return d, err
}

// Approve records a signed approval. Agents never approve, nor does the
// requester. The change is applied once it has enough approvals.
func (s *Service) Approve(ctx context.Context, tenant string, actor ledger.Actor, id, comment string) (Change, error) {
	c, err := s.Change(ctx, tenant, id)
	if err != nil {
		return c, err
	}
	person, err := s.checkDecider(ctx, &c, actor)
	if err != nil {
		return c, err
	}
	if c.Status != StatusPending {
		return c, fmt.Errorf("%w: change %s is %s, not pending", ErrConflict, id, c.Status)
	}
	if dup, err := s.approvedBy(ctx, &c, person); err != nil || dup {
		if err != nil {
			return c, err
		}
		return c, fmt.Errorf("%w: %s (%s) already approved change %s; another human must approve", ErrConflict, actor.ID, person, id)
	}
	if err := limitText("comment", comment, 4000); err != nil {
		return c, err
	}
	d, err := s.decide(ctx, tenant, actor, &c, EventChangeApproved, DecisionApproved, comment,
		map[string]any{"approvals": len(c.Approvals) + 1})
	if err != nil {
		return c, err
	}
	c, err = s.changes.Mutate(ctx, tenant, id, func(c *Change) error {
		if c.Status != StatusPending {
			return fmt.Errorf("%w: change %s became %s", ErrConflict, id, c.Status)
		}
		if !slices.ContainsFunc(c.Approvals, func(x Decision) bool { return x.Actor.ID == actor.ID }) {
			c.Approvals = append(c.Approvals, d)
		}
		return nil
	})
	if err != nil || len(c.Approvals) < c.Required {
		return c, err
	}
	return s.apply(ctx, tenant, actor, id)
}

// Reject records a signed rejection; the change is closed.
func (s *Service) Reject(ctx context.Context, tenant string, actor ledger.Actor, id, comment string) (Change, error) {
	c, err := s.Change(ctx, tenant, id)
	if err != nil {
		return c, err
	}
	if _, err := s.checkDecider(ctx, &c, actor); err != nil {
		return c, err
	}
	if c.Status != StatusPending {
		return c, fmt.Errorf("%w: change %s is %s, not pending", ErrConflict, id, c.Status)
	}
	if err := limitText("comment", comment, 4000); err != nil {
		return c, err
	}
	d, err := s.decide(ctx, tenant, actor, &c, EventChangeRejected, DecisionRejected, comment, map[string]any{})
	if err != nil {
		return c, err
	}
	return s.changes.Mutate(ctx, tenant, id, func(c *Change) error {
		if c.Status != StatusPending {
			return fmt.Errorf("%w: change %s became %s", ErrConflict, id, c.Status)
		}
		c.Status, c.Rejection = StatusRejected, &d
		return nil
	})
}

// apply moves the alias of an approved (or emergency) change.
func (s *Service) apply(ctx context.Context, tenant string, actor ledger.Actor, id string) (Change, error) {
	c, err := s.Change(ctx, tenant, id)
	if err != nil {
		return c, err
	}
	if err := s.setApproval(ctx, tenant, c.Target, &ApprovalInfo{ChangeID: c.ID, Emergency: c.Emergency, Time: s.now()}); err != nil {
		return c, err
	}
	a, err := s.moveAlias(ctx, tenant, actor, c.Target, c.ID, false)
	if err != nil {
		return c, err
	}
	return s.changes.Mutate(ctx, tenant, id, func(c *Change) error {
		c.Status, c.Applied, c.AppliedIndex = StatusApplied, a.Moved, a.Index
		return nil
	})
}

// setApproval marks the target version approved by a change.
func (s *Service) setApproval(ctx context.Context, tenant string, t Target, ap *ApprovalInfo) error {
	if t.Kind == KindPrompt {
		_, err := s.prompts.Mutate(ctx, tenant, t.Name, func(p *Prompt) error {
			if pv := p.version(t.Version); pv != nil {
				pv.Approval = ap
			}
			return nil
		})
		return err
	}
	_, err := s.versions.Mutate(ctx, tenant, t.ref(), func(v *Version) error {
		v.Approval = ap
		return nil
	})
	return err
}

// Emergency applies a change at once, without approvals or evaluation
// gates, and sets a deadline for a review by another human. Only a human
// may declare one, and the version must still be signed.
func (s *Service) Emergency(ctx context.Context, tenant string, actor ledger.Actor, spec ChangeSpec) (Change, error) {
	if actor.Kind != ledger.ActorHuman {
		return Change{}, ErrAgentEmergency
	}
	if err := s.checkChangeSpec(&spec); err != nil {
		return Change{}, err
	}
	if spec.Reason == "" {
		return Change{}, fmt.Errorf("%w: an emergency change needs a reason", ErrInvalid)
	}
	sub, err := s.resolve(ctx, tenant, spec.Target, false)
	if err != nil {
		return Change{}, err
	}
	now := s.now()
	c := Change{
		ID: newID("chg_"), Tenant: tenant, Target: spec.Target, Description: spec.Description, RollbackPlan: spec.RollbackPlan,
		Ticket: spec.Ticket, Risk: sub.risk, Status: StatusPending, RequestedBy: actor, Requested: now,
		Approvals: []Decision{}, Emergency: true, Reason: spec.Reason, ReviewDue: now.Add(s.d.Policy.EmergencyReview),
	}
	extra := map[string]any{"kind": "emergency", "description": c.Description, "rollback_plan": c.RollbackPlan,
		"reason": c.Reason, "review_due": c.ReviewDue}
	if c.Ticket != nil {
		extra["ticket_key"], extra["ticket_url"] = c.Ticket.Key, c.Ticket.URL
	}
	if c.Index, err = s.record(ctx, EventChangeEmergency, tenant, actor, changeBody(&c, extra), append([]ledger.Ref{changeRef(c.ID)}, sub.refs...)...); err != nil {
		return Change{}, err
	}
	if err := s.changes.Create(ctx, tenant, c.ID, c); err != nil {
		return Change{}, err
	}
	return s.apply(ctx, tenant, actor, c.ID)
}

// Review records the after-the-fact review of an emergency change. A
// rejected review withdraws the version's approval, so it can no longer
// be served; roll back.
func (s *Service) Review(ctx context.Context, tenant string, actor ledger.Actor, id string, accept bool, comment string) (Change, error) {
	c, err := s.Change(ctx, tenant, id)
	if err != nil {
		return c, err
	}
	if !c.Emergency {
		return c, fmt.Errorf("%w: change %s is not an emergency change; approve or reject it instead", ErrConflict, id)
	}
	if c.Review != nil {
		return c, fmt.Errorf("%w: change %s was already reviewed", ErrConflict, id)
	}
	if _, err := s.checkDecider(ctx, &c, actor); err != nil {
		return c, err
	}
	if err := limitText("comment", comment, 4000); err != nil {
		return c, err
	}
	decision := DecisionReviewAccepted
	if !accept {
		decision = DecisionReviewRejected
	}
	now := s.now()
	d, err := s.decide(ctx, tenant, actor, &c, EventChangeReviewed, decision, comment, map[string]any{
		"outcome": map[bool]string{true: "accepted", false: "rejected"}[accept], "review_due": c.ReviewDue,
		"on_time": !now.After(c.ReviewDue),
	})
	if err != nil {
		return c, err
	}
	c, err = s.changes.Mutate(ctx, tenant, id, func(c *Change) error {
		if c.Review != nil {
			return fmt.Errorf("%w: change %s was already reviewed", ErrConflict, id)
		}
		c.Review = &d
		return nil
	})
	if err != nil || accept {
		return c, err
	}
	return c, s.setApproval(ctx, tenant, c.Target, &ApprovalInfo{ChangeID: c.ID, Emergency: true, Time: c.Applied, Revoked: true})
}

// OverdueReviews lists emergency changes whose review is past its deadline
// and still missing, for the controls engine; tenant "" lists all tenants.
// Each is an open finding; its change.emergency event carries review_due.
func (s *Service) OverdueReviews(ctx context.Context, tenant string, now time.Time) ([]Change, error) {
	cs, err := s.Changes(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []Change
	for _, c := range cs {
		if c.ReviewOverdue(now) {
			out = append(out, c)
		}
	}
	return out, nil
}
