// Package privacy implements data governance: classification labels,
// retention policies enforced by a job, data-subject access and erasure
// requests with deadlines, consent per purpose, and where each tenant's data
// may travel. Every decision is a ledger event without personal data.
package privacy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/records"
	"github.com/attest-ai/attest/internal/vault"
)

// ErrInvalid marks input the caller must correct.
var ErrInvalid = errors.New("invalid")

// Class is a data classification, from least to most sensitive.
type Class string

// The four classes, in order.
const (
	Public       Class = "public"
	Internal     Class = "internal"
	Confidential Class = "confidential"
	Restricted   Class = "restricted"
)

var classOrder = []Class{Public, Internal, Confidential, Restricted}

// ParseClass validates a class name.
func ParseClass(s string) (Class, error) {
	c := Class(s)
	if !slices.Contains(classOrder, c) {
		return "", fmt.Errorf("%w: unknown classification %q: use public, internal, confidential or restricted", ErrInvalid, s)
	}
	return c, nil
}

// Rank orders classes: public 0 … restricted 3.
func (c Class) Rank() int { return slices.Index(classOrder, c) }

// Exceeds reports whether c is more sensitive than limit.
func (c Class) Exceeds(limit Class) bool { return c.Rank() > limit.Rank() }

// Purpose is what a subject consents to.
type Purpose string

// Consent purposes.
const (
	PurposeAI          Purpose = "ai_processing"
	PurposeTraining    Purpose = "training"
	PurposeHumanReview Purpose = "human_review"
)

// ParsePurpose validates a purpose.
func ParsePurpose(s string) (Purpose, error) {
	switch p := Purpose(s); p {
	case PurposeAI, PurposeTraining, PurposeHumanReview:
		return p, nil
	}
	return "", fmt.Errorf("%w: unknown purpose %q: use ai_processing, training or human_review", ErrInvalid, s)
}

// Label classifies one object.
type Label struct {
	Kind   string    `json:"kind"` // dataset, prompt, payload, model, tenant
	ID     string    `json:"id"`
	Class  Class     `json:"class"`
	SetBy  string    `json:"set_by"`
	Time   time.Time `json:"time"`
	Tenant string    `json:"tenant"`
}

// Consent is a subject's choice for one purpose.
type Consent struct {
	Subject string    `json:"subject"` // pseudonym
	Purpose Purpose   `json:"purpose"`
	Granted bool      `json:"granted"`
	Source  string    `json:"source,omitempty"` // where it was captured, e.g. "signup-form-v3"
	Time    time.Time `json:"time"`
}

// DatasetIndex tells which datasets, evaluation sets and exports reference
// a subject. The model registry implements it.
type DatasetIndex interface {
	ReferencesTo(ctx context.Context, tenant, subject string) ([]Reference, error)
}

// Reference is an artifact that holds a subject's data outside the vault.
type Reference struct {
	Kind string `json:"kind"` // dataset, eval_set, export
	ID   string `json:"id"`
}

// Service is the privacy domain.
type Service struct {
	vault    *vault.Vault
	vst      vault.Store
	log      ledger.Appender
	labels   records.Table[Label]
	consents records.Table[Consent]
	dsrs     records.Table[Request]
	policies records.Table[Policy]
	runs     records.Table[Run]
	regions  records.Table[TenantRegions]
	index    DatasetIndex
	now      func() time.Time
}

// New returns the privacy service.
func New(v *vault.Vault, vst vault.Store, rs records.Store, log ledger.Appender, index DatasetIndex) *Service {
	return &Service{
		vault: v, vst: vst, log: log, index: index, now: time.Now,
		labels:   records.NewTable[Label](rs, "privacy.label"),
		consents: records.NewTable[Consent](rs, "privacy.consent"),
		dsrs:     records.NewTable[Request](rs, "privacy.dsr"),
		policies: records.NewTable[Policy](rs, "privacy.retention_policy"),
		runs:     records.NewTable[Run](rs, "privacy.retention_run"),
		regions:  records.NewTable[TenantRegions](rs, "privacy.regions"),
	}
}

// SetIndex connects the dataset index once the registry exists.
func (s *Service) SetIndex(i DatasetIndex) { s.index = i }

// Pseudonym maps a raw subject id to the reference events carry.
func (s *Service) Pseudonym(tenant, subject string) string {
	return s.vault.Pseudonym(tenant, subject).ID
}

// Classify labels an object and records the decision.
func (s *Service) Classify(ctx context.Context, tenant string, actor ledger.Actor, kind, id string, c Class) (Label, error) {
	switch kind {
	case "dataset", "prompt", "payload", "model", "tenant":
	default:
		return Label{}, fmt.Errorf("%w: cannot classify a %q: use dataset, prompt, payload, model or tenant", ErrInvalid, kind)
	}
	if err := records.ValidID("id", id); err != nil {
		return Label{}, err
	}
	if _, err := ParseClass(string(c)); err != nil {
		return Label{}, err
	}
	l := Label{Kind: kind, ID: id, Class: c, SetBy: actor.ID, Time: s.now().UTC(), Tenant: tenant}
	if _, err := s.log.Append(ctx, ledger.MustEvent("classification.set", tenant, actor, map[string]string{"kind": kind, "id": id, "class": string(c)}, ledger.Ref{Kind: kind, ID: id})); err != nil {
		return Label{}, fmt.Errorf("record classification: %w", err)
	}
	key := kind + ":" + id
	if _, err := s.labels.Mutate(ctx, tenant, key, func(old *Label) error { *old = l; return nil }); errors.Is(err, records.ErrNotFound) {
		err = s.labels.Create(ctx, tenant, key, l)
		return l, err
	} else if err != nil {
		return Label{}, err
	}
	return l, nil
}

// ClassOf returns an object's class; unlabelled objects are treated as
// confidential, the safe default.
func (s *Service) ClassOf(ctx context.Context, tenant, kind, id string) (Class, error) {
	l, err := s.labels.Get(ctx, tenant, kind+":"+id)
	if errors.Is(err, records.ErrNotFound) {
		return Confidential, nil
	}
	if err != nil {
		return "", err
	}
	return l.Class, nil
}

// Labels lists a tenant's labels.
func (s *Service) Labels(ctx context.Context, tenant string) ([]Label, error) {
	return s.labels.List(ctx, tenant)
}

// RecordConsent stores a subject's choice for a purpose; it takes effect on
// the very next request because the gateway reads it per request.
func (s *Service) RecordConsent(ctx context.Context, tenant string, actor ledger.Actor, rawSubject string, p Purpose, granted bool, source string) (Consent, error) {
	if _, err := ParsePurpose(string(p)); err != nil {
		return Consent{}, err
	}
	sub := s.Pseudonym(tenant, rawSubject)
	c := Consent{Subject: sub, Purpose: p, Granted: granted, Source: source, Time: s.now().UTC()}
	if _, err := s.log.Append(ctx, ledger.MustEvent("consent.recorded", tenant, actor,
		map[string]any{"purpose": p, "granted": granted, "source": source}, ledger.Ref{Kind: "subject", ID: sub})); err != nil {
		return Consent{}, fmt.Errorf("record consent: %w", err)
	}
	key := sub + ":" + string(p)
	if _, err := s.consents.Mutate(ctx, tenant, key, func(old *Consent) error { *old = c; return nil }); errors.Is(err, records.ErrNotFound) {
		return c, s.consents.Create(ctx, tenant, key, c)
	} else if err != nil {
		return Consent{}, err
	}
	return c, nil
}

// Allowed reports whether a subject (pseudonym) has not opted out of the
// purpose. No record means allowed: consent is collected by the tenant's
// own product, attest enforces opt-outs.
func (s *Service) Allowed(ctx context.Context, tenant, subject string, p Purpose) (bool, error) {
	c, err := s.consents.Get(ctx, tenant, subject+":"+string(p))
	if errors.Is(err, records.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return c.Granted, nil
}

// Consents lists a tenant's recorded consents.
func (s *Service) Consents(ctx context.Context, tenant string) ([]Consent, error) {
	return s.consents.List(ctx, tenant)
}
