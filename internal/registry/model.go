package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/records"
	"github.com/attest-ai/attest/internal/registry/provenance"
)

// Ledger events about models.
const (
	EventModelRegistered   = "model.registered"
	EventVersionRegistered = "model.version_registered"
)

// Risk is a model's risk classification.
type Risk string

// Risk classes, after the EU AI Act's tiers.
const (
	RiskHigh    Risk = "high"
	RiskLimited Risk = "limited"
	RiskMinimal Risk = "minimal"
)

func (r Risk) check() error {
	switch r {
	case RiskHigh, RiskLimited, RiskMinimal:
		return nil
	}
	return fmt.Errorf("%w: risk %q must be high, limited or minimal", ErrInvalid, r)
}

// Model is a registered model: what it is for and who answers for it.
type Model struct {
	Name        string    `json:"name"`
	Purpose     string    `json:"purpose"`
	Owner       string    `json:"owner"`
	Risk        Risk      `json:"risk"`
	DataSources []string  `json:"data_sources,omitempty"`
	IntendedUse string    `json:"intended_use,omitempty"`
	Limitations []string  `json:"limitations,omitempty"`
	Versions    []string  `json:"versions"`
	Created     time.Time `json:"created"`
	CreatedBy   string    `json:"created_by"`
	Index       uint64    `json:"index"`
}

// ModelSpec describes a model to register.
type ModelSpec struct {
	Name        string   `json:"name"`
	Purpose     string   `json:"purpose"`
	Owner       string   `json:"owner"`
	Risk        Risk     `json:"risk"`
	DataSources []string `json:"data_sources,omitempty"`
	IntendedUse string   `json:"intended_use,omitempty"`
	Limitations []string `json:"limitations,omitempty"`
}

func (m *ModelSpec) check() error {
	if err := checkName("model name", m.Name); err != nil {
		return err
	}
	if m.Purpose == "" || m.Owner == "" {
		return fmt.Errorf("%w: a model needs a purpose and an owner", ErrInvalid)
	}
	if err := m.Risk.check(); err != nil {
		return err
	}
	for what, v := range map[string]string{"purpose": m.Purpose, "owner": m.Owner, "intended_use": m.IntendedUse} {
		if err := limitText(what, v, 2000); err != nil {
			return err
		}
	}
	if len(m.DataSources) > 50 || len(m.Limitations) > 50 {
		return fmt.Errorf("%w: at most 50 data sources and 50 limitations", ErrInvalid)
	}
	for _, l := range append(slices.Clone(m.DataSources), m.Limitations...) {
		if err := limitText("a data source or limitation", l, 1000); err != nil {
			return err
		}
	}
	return nil
}

// RegisterModel registers a new model.
func (s *Service) RegisterModel(ctx context.Context, tenant string, actor ledger.Actor, spec ModelSpec) (Model, error) {
	if err := spec.check(); err != nil {
		return Model{}, err
	}
	if _, err := s.models.Get(ctx, tenant, spec.Name); err == nil {
		return Model{}, fmt.Errorf("%w: model %s is already registered", ErrConflict, spec.Name)
	}
	idx, err := s.record(ctx, EventModelRegistered, tenant, actor, map[string]any{
		"name": spec.Name, "purpose": spec.Purpose, "owner": spec.Owner, "risk": spec.Risk,
		"data_sources": spec.DataSources, "intended_use": spec.IntendedUse, "limitations": spec.Limitations,
	}, modelRef(spec.Name))
	if err != nil {
		return Model{}, err
	}
	m := Model{
		Name: spec.Name, Purpose: spec.Purpose, Owner: spec.Owner, Risk: spec.Risk, DataSources: spec.DataSources,
		IntendedUse: spec.IntendedUse, Limitations: spec.Limitations, Versions: []string{},
		Created: s.now(), CreatedBy: actor.ID, Index: idx,
	}
	if err := s.models.Create(ctx, tenant, m.Name, m); err != nil {
		return Model{}, conflict(err, "model %s is already registered", m.Name)
	}
	return m, nil
}

// Model returns a registered model.
func (s *Service) Model(ctx context.Context, tenant, name string) (Model, error) {
	m, err := s.models.Get(ctx, tenant, name)
	return m, notFound(err, "no model %q; register it with 'attest model register'", name)
}

// Models lists a tenant's models.
func (s *Service) Models(ctx context.Context, tenant string) ([]Model, error) {
	return s.models.List(ctx, tenant)
}

// DatasetRef names a dataset snapshot a version was trained or tuned on.
type DatasetRef struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
}

// Code locates the training code.
type Code struct {
	Repository string `json:"repository"`
	Commit     string `json:"commit"`
	Path       string `json:"path,omitempty"`
}

// Artifact is a base model: a name and a digest.
type Artifact struct {
	Name   string `json:"name"`
	URI    string `json:"uri,omitempty"`
	Digest string `json:"digest"`
}

// VersionSpec describes a version to register. With Code set it must also
// name the training run and its times, which go into its SLSA provenance.
type VersionSpec struct {
	Version string `json:"version"`
	// Digest is the OMS root digest of the model files. It may be left
	// out when Bundle is given; the bundle's subject is used.
	Digest          string          `json:"digest,omitempty"`
	Bundle          json.RawMessage `json:"bundle,omitempty"`
	Datasets        []DatasetRef    `json:"datasets,omitempty"`
	Code            *Code           `json:"code,omitempty"`
	BaseModel       *Artifact       `json:"base_model,omitempty"`
	Hyperparameters map[string]any  `json:"hyperparameters,omitempty"`
	// TrainingRun is the training run's id, the OpenLineage run id when
	// the pipeline reports to POST /api/v1/lineage.
	TrainingRun string    `json:"training_run,omitempty"`
	Builder     string    `json:"builder,omitempty"`
	StartedOn   time.Time `json:"started_on,omitzero"`
	FinishedOn  time.Time `json:"finished_on,omitzero"`
}

// Version is one registered version of a model and what is known of it.
type Version struct {
	Model            string         `json:"model"`
	Version          string         `json:"version"`
	Digest           string         `json:"digest"`
	Datasets         []DatasetRef   `json:"datasets,omitempty"`
	Code             *Code          `json:"code,omitempty"`
	BaseModel        *Artifact      `json:"base_model,omitempty"`
	Hyperparameters  map[string]any `json:"hyperparameters,omitempty"`
	TrainingRun      string         `json:"training_run,omitempty"`
	ProvenanceSHA256 string         `json:"provenance_sha256,omitempty"`
	Registered       time.Time      `json:"registered"`
	RegisteredBy     ledger.Actor   `json:"registered_by"`
	Index            uint64         `json:"index"`

	Signature    *SignatureInfo          `json:"signature,omitempty"`
	Verification *VerificationInfo       `json:"verification,omitempty"`
	Evals        map[string]*EvalSummary `json:"evals,omitempty"`
	Approval     *ApprovalInfo           `json:"approval,omitempty"`
}

// ID is the version's reference, NAME@VERSION.
func (v *Version) ID() string { return v.Model + "@" + v.Version }

// SignatureInfo is the accepted OMS signature of a version.
type SignatureInfo struct {
	RootDigest string `json:"root_digest"`
	Signer     string `json:"signer"`
	// KeyHint names the trusted key the signature verified under.
	KeyHint      string    `json:"key_hint"`
	Method       string    `json:"method"`
	BundleSHA256 string    `json:"bundle_sha256"`
	Resources    int       `json:"resources"`
	Time         time.Time `json:"time"`
	Index        uint64    `json:"index"`
}

// VerificationInfo is the newest verification of a version's files where
// it is deployed.
type VerificationInfo struct {
	OK     bool         `json:"ok"`
	Reason string       `json:"reason,omitempty"`
	Files  []string     `json:"files,omitempty"`
	Actor  ledger.Actor `json:"actor"`
	Time   time.Time    `json:"time"`
	Index  uint64       `json:"index"`
}

// EvalSummary is a version's newest gate evaluation on one suite.
type EvalSummary struct {
	ID      string             `json:"id"`
	Passed  bool               `json:"passed"`
	Metrics map[string]float64 `json:"metrics"`
	Time    time.Time          `json:"time"`
	Index   uint64             `json:"index"`
}

// ApprovalInfo is the change that approved the version for deployment.
type ApprovalInfo struct {
	ChangeID  string    `json:"change_id"`
	Emergency bool      `json:"emergency,omitempty"`
	Time      time.Time `json:"time"`
	// Revoked is set when an emergency change was rejected on review.
	Revoked bool `json:"revoked,omitempty"`
}

// storedBundle keeps a version's signature file byte for byte (base64 in
// the record), so its digest stays the one recorded.
type storedBundle struct {
	Bundle []byte `json:"bundle"`
}

// digestIndex maps an artifact digest to the versions that carry it.
type digestIndex struct {
	Versions []string `json:"versions"`
}

func (s *Service) checkVersionSpec(ctx context.Context, tenant string, spec *VersionSpec) error {
	if err := checkName("version", spec.Version); err != nil {
		return err
	}
	if spec.Digest != "" {
		d, err := normDigest("digest", spec.Digest)
		if err != nil {
			return err
		}
		spec.Digest = d
	}
	if len(spec.Datasets) > 25 {
		return fmt.Errorf("%w: at most 25 datasets per version; register a combined snapshot instead", ErrInvalid)
	}
	for i := range spec.Datasets {
		d := &spec.Datasets[i]
		dg, err := normDigest("dataset digest", d.Digest)
		if err != nil {
			return err
		}
		d.Digest = dg
		ds, err := s.datasets.Get(ctx, tenant, d.Name)
		if err != nil {
			return notFound(err, "no dataset %q; register it and its snapshot with 'attest dataset register' first", d.Name)
		}
		if ds.snapshot(dg) == nil {
			return fmt.Errorf("%w: dataset %s has no snapshot %s; register it with 'attest dataset snapshot' first", ErrInvalid, d.Name, dg)
		}
	}
	if spec.BaseModel != nil {
		dg, err := normDigest("base model digest", spec.BaseModel.Digest)
		if err != nil {
			return err
		}
		spec.BaseModel.Digest = dg
		if spec.BaseModel.Name == "" {
			return fmt.Errorf("%w: the base model needs a name", ErrInvalid)
		}
	}
	if spec.TrainingRun != "" && !ledger.ValidID(spec.TrainingRun) {
		return fmt.Errorf("%w: training_run must be 1-256 printable characters without spaces", ErrInvalid)
	}
	// OpenLineage run ids are UUIDs, recorded in lowercase.
	if uuidPattern.MatchString(spec.TrainingRun) {
		spec.TrainingRun = strings.ToLower(spec.TrainingRun)
	}
	if spec.Hyperparameters != nil {
		b, err := json.Marshal(spec.Hyperparameters)
		if err != nil || len(b) > 16<<10 {
			return fmt.Errorf("%w: hyperparameters must be plain JSON values, at most 16 KiB", ErrInvalid)
		}
	}
	return nil
}

var uuidPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// RegisterVersion registers a version of a model. With a bundle it also
// checks and records the signature (see AttachSignature); with training
// code it emits the version's SLSA provenance.
func (s *Service) RegisterVersion(ctx context.Context, tenant string, actor ledger.Actor, model string, spec VersionSpec) (Version, error) {
	if _, err := s.Model(ctx, tenant, model); err != nil {
		return Version{}, err
	}
	if err := s.checkVersionSpec(ctx, tenant, &spec); err != nil {
		return Version{}, err
	}
	id := model + "@" + spec.Version
	if _, err := s.versions.Get(ctx, tenant, id); err == nil {
		return Version{}, fmt.Errorf("%w: version %s is already registered; versions are immutable, register a new one", ErrConflict, id)
	}
	var sig *checkedBundle
	if len(spec.Bundle) > 0 {
		var err error
		if sig, err = s.checkBundle(ctx, tenant, spec.Bundle); err != nil {
			return Version{}, err
		}
		if spec.Digest == "" {
			spec.Digest = sig.rootDigest
		}
		if spec.Digest != sig.rootDigest {
			return Version{}, fmt.Errorf("%w: the signature covers %s, not the digest given, %s", ErrConflict, sig.rootDigest, spec.Digest)
		}
	}
	if spec.Digest == "" {
		return Version{}, fmt.Errorf("%w: a version needs its digest (the OMS root digest printed by 'attest model sign') or its signature bundle", ErrInvalid)
	}
	v := Version{
		Model: model, Version: spec.Version, Digest: spec.Digest, Datasets: spec.Datasets, Code: spec.Code,
		BaseModel: spec.BaseModel, Hyperparameters: spec.Hyperparameters, TrainingRun: spec.TrainingRun,
		Registered: s.now(), RegisteredBy: actor,
	}
	var env *Envelope
	if spec.Code != nil {
		var err error
		if env, err = s.provenance(model, &spec); err != nil {
			return Version{}, err
		}
		v.ProvenanceSHA256 = env.payloadSHA256()
	}
	body := map[string]any{
		"model": model, "version": spec.Version, "digest": spec.Digest,
		"datasets": datasetDigests(spec.Datasets), "dataset_names": datasetNames(spec.Datasets),
		"lineage_run": spec.TrainingRun, "provenance_sha256": v.ProvenanceSHA256,
	}
	if spec.Code != nil {
		body["code_repository"], body["code_commit"] = spec.Code.Repository, spec.Code.Commit
	}
	if spec.BaseModel != nil {
		body["base_model"], body["base_model_digest"] = spec.BaseModel.Name, spec.BaseModel.Digest
	}
	subjects := []ledger.Ref{versionRef(id), modelRef(model)}
	for _, d := range spec.Datasets {
		if !slices.Contains(subjects, datasetRef(d.Digest)) {
			subjects = append(subjects, datasetRef(d.Digest))
		}
	}
	if spec.TrainingRun != "" {
		subjects = append(subjects, runRef(spec.TrainingRun))
	}
	idx, err := s.record(ctx, EventVersionRegistered, tenant, actor, body, subjects...)
	if err != nil {
		return Version{}, err
	}
	v.Index = idx
	if err := s.versions.Create(ctx, tenant, id, v); err != nil {
		return Version{}, conflict(err, "version %s is already registered", id)
	}
	if env != nil {
		if err := s.prov.Create(ctx, tenant, id, *env); err != nil {
			return Version{}, err
		}
	}
	if _, err := s.models.Mutate(ctx, tenant, model, func(m *Model) error {
		m.Versions = append(m.Versions, spec.Version)
		return nil
	}); err != nil {
		return Version{}, err
	}
	if err := s.indexDigest(ctx, tenant, v.Digest, id); err != nil {
		return Version{}, err
	}
	if sig != nil {
		return s.acceptSignature(ctx, tenant, actor, id, sig)
	}
	return v, nil
}

func (s *Service) indexDigest(ctx context.Context, tenant, digest, id string) error {
	_, err := s.digests.Mutate(ctx, tenant, digest, func(x *digestIndex) error {
		if !slices.Contains(x.Versions, id) {
			x.Versions = append(x.Versions, id)
		}
		return nil
	})
	if errors.Is(err, records.ErrNotFound) {
		err = s.digests.Create(ctx, tenant, digest, digestIndex{Versions: []string{id}})
		if errors.Is(err, records.ErrExists) {
			return s.indexDigest(ctx, tenant, digest, id)
		}
	}
	return err
}

// versionsWithDigest lists the versions whose model files have digest.
func (s *Service) versionsWithDigest(ctx context.Context, tenant, digest string) []string {
	x, err := s.digests.Get(ctx, tenant, digest)
	if err != nil {
		return nil
	}
	return x.Versions
}

func datasetDigests(ds []DatasetRef) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.Digest)
	}
	return out
}

func datasetNames(ds []DatasetRef) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.Name)
	}
	return out
}

// Version returns a registered version by NAME@VERSION.
func (s *Service) Version(ctx context.Context, tenant, id string) (Version, error) {
	if _, _, err := ParseRef(id); err != nil {
		return Version{}, err
	}
	v, err := s.versions.Get(ctx, tenant, id)
	return v, notFound(err, "no model version %s; register it with 'attest model version'", id)
}

// Versions lists a model's versions in registration order.
func (s *Service) Versions(ctx context.Context, tenant, model string) ([]Version, error) {
	m, err := s.Model(ctx, tenant, model)
	if err != nil {
		return nil, err
	}
	out := make([]Version, 0, len(m.Versions))
	for _, v := range m.Versions {
		x, err := s.versions.Get(ctx, tenant, model+"@"+v)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// defaultBuilder names the training platform when the caller does not.
const defaultBuilder = "urn:attest:builder:unspecified"

// provenance builds and signs the version's SLSA provenance.
func (s *Service) provenance(model string, spec *VersionSpec) (*Envelope, error) {
	t := provenance.Training{
		Model: model, Version: spec.Version, Digest: spec.Digest,
		Code:            provenance.Code{Repository: spec.Code.Repository, Commit: spec.Code.Commit, Path: spec.Code.Path},
		Hyperparameters: spec.Hyperparameters,
		Builder:         provenance.Builder{ID: spec.Builder},
		RunID:           spec.TrainingRun,
		StartedOn:       spec.StartedOn,
		FinishedOn:      spec.FinishedOn,
	}
	if t.Builder.ID == "" {
		t.Builder.ID = defaultBuilder
	}
	for _, d := range spec.Datasets {
		t.Datasets = append(t.Datasets, provenance.Artifact{Name: d.Name, Digest: map[string]string{"sha256": hexOf(d.Digest)}})
	}
	if b := spec.BaseModel; b != nil {
		t.BaseModel = &provenance.Artifact{Name: b.Name, URI: b.URI, Digest: map[string]string{"sha256": hexOf(b.Digest)}}
	}
	st, err := provenance.New(t)
	if err != nil {
		return nil, fmt.Errorf("%w: provenance: %v", ErrInvalid, err)
	}
	payload, err := st.JSON()
	if err != nil {
		return nil, err
	}
	return s.sign(payload)
}

// Provenance returns a version's signed SLSA provenance.
func (s *Service) Provenance(ctx context.Context, tenant, id string) (Envelope, error) {
	env, err := s.prov.Get(ctx, tenant, id)
	return env, notFound(err, "version %s has no provenance: it was registered without its training code", id)
}

func hexOf(digest string) string { return strings.TrimPrefix(digest, "sha256:") }

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// conflict maps the records store's already-exists to ErrConflict.
func conflict(err error, format string, a ...any) error {
	if errors.Is(err, records.ErrExists) {
		return fmt.Errorf("%w: %s", ErrConflict, fmt.Sprintf(format, a...))
	}
	return err
}
