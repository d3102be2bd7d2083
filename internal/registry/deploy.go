package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/records"
)

// EventAliasMoved records every move of a deployment alias.
const EventAliasMoved = "deploy.alias_moved"

// What an alias can point at.
const (
	KindModel  = "model"
	KindPrompt = "prompt"
)

// Well-known aliases. Any name is allowed; canary alone takes a traffic
// percentage.
const (
	AliasProduction = "production"
	AliasStaging    = "staging"
	AliasCanary     = "canary"
)

// maxAliasHistory bounds the moves an alias record keeps; the ledger keeps
// them all.
const maxAliasHistory = 100

// Target is an alias and the version it should point at.
type Target struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Alias   string `json:"alias"`
	// Percent is the share of traffic a canary receives, 1-100.
	Percent int `json:"percent,omitempty"`
}

func (t *Target) check() error {
	if t.Kind == "" {
		t.Kind = KindModel
	}
	if t.Kind != KindModel && t.Kind != KindPrompt {
		return fmt.Errorf("%w: target kind %q must be model or prompt", ErrInvalid, t.Kind)
	}
	for what, v := range map[string]string{"name": t.Name, "version": t.Version, "alias": t.Alias} {
		if err := checkName(what, v); err != nil {
			return err
		}
	}
	if t.Alias == AliasCanary {
		if t.Percent < 1 || t.Percent > 100 {
			return fmt.Errorf("%w: a canary needs a traffic percentage from 1 to 100", ErrInvalid)
		}
	} else if t.Percent != 0 {
		return fmt.Errorf("%w: only the canary alias takes a traffic percentage", ErrInvalid)
	}
	return nil
}

func (t *Target) ref() string     { return t.Name + "@" + t.Version }
func (t *Target) aliasID() string { return aliasID(t.Kind, t.Name, t.Alias) }

func (t *Target) refs() []ledger.Ref {
	if t.Kind == KindPrompt {
		return []ledger.Ref{promptVersionRef(t.ref()), promptRef(t.Name)}
	}
	return []ledger.Ref{versionRef(t.ref()), modelRef(t.Name)}
}

func aliasID(kind, name, alias string) string { return kind + ":" + name + ":" + alias }

// Alias is where one alias of a model or prompt points.
type Alias struct {
	Kind     string       `json:"kind"`
	Name     string       `json:"name"`
	Alias    string       `json:"alias"`
	Version  string       `json:"version"`
	Percent  int          `json:"percent,omitempty"`
	ChangeID string       `json:"change_id,omitempty"`
	Moved    time.Time    `json:"moved"`
	MovedBy  ledger.Actor `json:"moved_by"`
	Index    uint64       `json:"index"`
	History  []AliasMove  `json:"history"`
}

// AliasMove is one move, oldest first in Alias.History.
type AliasMove struct {
	From     string       `json:"from,omitempty"`
	To       string       `json:"to"`
	Percent  int          `json:"percent,omitempty"`
	ChangeID string       `json:"change_id,omitempty"`
	Rollback bool         `json:"rollback,omitempty"`
	Actor    ledger.Actor `json:"actor"`
	Time     time.Time    `json:"time"`
	Index    uint64       `json:"index"`
}

// moveAlias records and makes one move. Callers have checked that the
// target is approved.
func (s *Service) moveAlias(ctx context.Context, tenant string, actor ledger.Actor, t Target, changeID string, rollback bool) (Alias, error) {
	cur, err := s.aliases.Get(ctx, tenant, t.aliasID())
	if err != nil && !errors.Is(err, records.ErrNotFound) {
		return Alias{}, err
	}
	from := ""
	if cur.Version != "" {
		from = t.Name + "@" + cur.Version
	}
	body := map[string]any{
		"alias": t.Alias, "environment": t.Alias, "from": from, "to": t.ref(), "version": t.Version,
		"percent": t.Percent, "change_id": changeID, "rollback": rollback,
	}
	// The target version is the first subject: the controls engine reads
	// the deployed version from it.
	refs := t.refs()
	if t.Kind == KindPrompt {
		body["prompt"], body["prompt_version"] = t.Name, t.ref()
		if from != "" {
			refs = append(refs, promptVersionRef(from))
		}
	} else {
		body["model"], body["model_version"] = t.Name, t.ref()
		if from != "" && from != t.ref() {
			refs = append(refs, versionRef(from))
		}
	}
	if changeID != "" {
		refs = append(refs, changeRef(changeID))
	}
	idx, err := s.record(ctx, EventAliasMoved, tenant, actor, body, refs...)
	if err != nil {
		return Alias{}, err
	}
	move := AliasMove{From: from, To: t.ref(), Percent: t.Percent, ChangeID: changeID, Rollback: rollback, Actor: actor, Time: s.now(), Index: idx}
	set := func(a *Alias) {
		a.Kind, a.Name, a.Alias = t.Kind, t.Name, t.Alias
		a.Version, a.Percent, a.ChangeID = t.Version, t.Percent, changeID
		a.Moved, a.MovedBy, a.Index = move.Time, actor, idx
		a.History = append(a.History, move)
		if len(a.History) > maxAliasHistory {
			a.History = a.History[len(a.History)-maxAliasHistory:]
		}
	}
	a, err := s.aliases.Mutate(ctx, tenant, t.aliasID(), func(a *Alias) error { set(a); return nil })
	if errors.Is(err, records.ErrNotFound) {
		a = Alias{}
		set(&a)
		if err = s.aliases.Create(ctx, tenant, t.aliasID(), a); errors.Is(err, records.ErrExists) {
			a, err = s.aliases.Mutate(ctx, tenant, t.aliasID(), func(a *Alias) error { set(a); return nil })
		}
	}
	return a, err
}

// Aliases lists the aliases of a model or prompt.
func (s *Service) Aliases(ctx context.Context, tenant, kind, name string) ([]Alias, error) {
	all, err := s.aliases.List(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []Alias
	for _, a := range all {
		if a.Kind == kind && a.Name == name {
			out = append(out, a)
		}
	}
	return out, nil
}

// Alias returns one alias.
func (s *Service) Alias(ctx context.Context, tenant, kind, name, alias string) (Alias, error) {
	a, err := s.aliases.Get(ctx, tenant, aliasID(kind, name, alias))
	return a, notFound(err, "%s %s has no alias %s", kind, name, alias)
}

// Rollback moves an alias back to the newest earlier version it pointed
// at that is still approved (and, for a model, signed by a trusted key).
// No new approval is needed: that version was approved for the alias
// before. The move is recorded with rollback true.
func (s *Service) Rollback(ctx context.Context, tenant string, actor ledger.Actor, kind, name, alias string) (Alias, error) {
	a, err := s.Alias(ctx, tenant, kind, name, alias)
	if err != nil {
		return a, err
	}
	seen := map[string]bool{name + "@" + a.Version: true}
	for i := len(a.History) - 1; i >= 0; i-- {
		for _, ref := range []string{a.History[i].To, a.History[i].From} {
			if ref == "" || seen[ref] {
				continue
			}
			seen[ref] = true
			_, ver, _ := ParseRef(ref)
			t := Target{Kind: kind, Name: name, Version: ver, Alias: alias, Percent: a.Percent}
			changeID, ok := s.stillApproved(ctx, tenant, t)
			if !ok {
				continue
			}
			return s.moveAlias(ctx, tenant, actor, t, changeID, true)
		}
	}
	return a, fmt.Errorf("%w: %s %s has no earlier approved version at %s to roll back to", ErrConflict, kind, name, alias)
}

// stillApproved reports whether a version may be put back without a new
// change, and the change that approved it.
func (s *Service) stillApproved(ctx context.Context, tenant string, t Target) (string, bool) {
	if t.Kind == KindPrompt {
		p, err := s.prompts.Get(ctx, tenant, t.Name)
		if err != nil {
			return "", false
		}
		pv := p.version(t.Version)
		if pv == nil || pv.Approval == nil || pv.Approval.Revoked {
			return "", false
		}
		return pv.Approval.ChangeID, true
	}
	v, err := s.versions.Get(ctx, tenant, t.ref())
	if err != nil || v.Approval == nil || v.Approval.Revoked || v.Signature == nil {
		return "", false
	}
	if ok, err := s.keyTrusted(ctx, tenant, v.Signature.KeyHint); err != nil || !ok {
		return "", false
	}
	return v.Approval.ChangeID, true
}

// CanServe tells the gateway whether it may serve a model's alias and
// which version that is. It refuses, with an error wrapping ErrNotServable,
// unless the version is signed by a key the tenant still trusts, its files
// were verified where it is deployed after it was signed, and a change
// approved it (an emergency change counts until a review rejects it).
// The messages, after "not servable: model NAME@VERSION at alias ALIAS":
//
//	"model NAME has no ALIAS alias; promote a version with 'attest model promote' first"
//	"... is not signed; attach its OMS signature and promote it again"
//	"... was signed by key HINT, which is no longer trusted; sign it again with a trusted key"
//	"... has not been verified at load; run 'attest model verify --record' where it is deployed"
//	"... failed verification at load (REASON: FILES); the deployed files are not the signed ones"
//	"... is not approved; no change request approved it"
//	"... is not approved; emergency change ID was rejected on review, roll back"
func (s *Service) CanServe(ctx context.Context, tenant, model, alias string) (Version, error) {
	a, err := s.aliases.Get(ctx, tenant, aliasID(KindModel, model, alias))
	if errors.Is(err, records.ErrNotFound) || (err == nil && a.Version == "") {
		return Version{}, fmt.Errorf("%w: model %s has no %s alias; promote a version with 'attest model promote' first", ErrNotServable, model, alias)
	}
	if err != nil {
		return Version{}, err
	}
	id := model + "@" + a.Version
	v, err := s.versions.Get(ctx, tenant, id)
	if err != nil {
		return Version{}, fmt.Errorf("%w: model %s at alias %s: the version record cannot be read: %v", ErrNotServable, id, alias, err)
	}
	at := fmt.Sprintf("model %s at alias %s", id, alias)
	switch {
	case v.Signature == nil:
		return v, fmt.Errorf("%w: %s is not signed; attach its OMS signature and promote it again", ErrNotServable, at)
	case v.Verification == nil || v.Verification.Index < v.Signature.Index:
		return v, fmt.Errorf("%w: %s has not been verified at load; run 'attest model verify --record' where it is deployed", ErrNotServable, at)
	case !v.Verification.OK:
		return v, fmt.Errorf("%w: %s failed verification at load (%s: %v); the deployed files are not the signed ones", ErrNotServable, at, v.Verification.Reason, v.Verification.Files)
	case v.Approval == nil:
		return v, fmt.Errorf("%w: %s is not approved; no change request approved it", ErrNotServable, at)
	case v.Approval.Revoked:
		return v, fmt.Errorf("%w: %s is not approved; emergency change %s was rejected on review, roll back", ErrNotServable, at, v.Approval.ChangeID)
	}
	ok, err := s.keyTrusted(ctx, tenant, v.Signature.KeyHint)
	if err != nil {
		return v, err
	}
	if !ok {
		return v, fmt.Errorf("%w: %s was signed by key %s, which is no longer trusted; sign it again with a trusted key", ErrNotServable, at, v.Signature.KeyHint)
	}
	return v, nil
}
