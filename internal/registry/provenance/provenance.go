// Package provenance describes how a model version was trained as SLSA
// Provenance v1 (https://slsa.dev/spec/v1.0/provenance), wrapped in an
// in-toto v1 statement whose subject is the model's OMS root digest.
//
// The build type is attest's own: its external parameters are the
// training inputs a person chose (model, source location, hyperparameters,
// the names of the datasets and the base model), and the resolved
// dependencies pin what those names meant at training time: the code
// commit, every dataset snapshot and the base model, each by digest.
package provenance

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Identifiers fixed by in-toto, SLSA and attest.
const (
	StatementType = "https://in-toto.io/Statement/v1"
	PredicateType = "https://slsa.dev/provenance/v1"
	BuildType     = "https://github.com/attest-ai/attest/buildtypes/model-training/v1"
)

// Training is what attest knows about one training run.
type Training struct {
	Model   string
	Version string
	// Digest is the model's OMS root digest, "sha256:<hex>".
	Digest          string
	Code            Code
	Datasets        []Artifact
	BaseModel       *Artifact
	Hyperparameters map[string]any
	Builder         Builder
	// RunID identifies the training run in the system that ran it.
	RunID      string
	StartedOn  time.Time
	FinishedOn time.Time
	// Byproducts are outputs other than the model, such as logs or an
	// evaluation report.
	Byproducts []Artifact
}

// Code locates the training code.
type Code struct {
	Repository string // URL of the repository, for example https://github.com/org/repo
	Commit     string // full git commit hash, 40 or 64 hex digits
	Path       string // entry point within the repository, optional
}

// Artifact is a dataset snapshot, base model or byproduct.
type Artifact struct {
	Name   string
	URI    string
	Digest map[string]string // algorithm → hex, "sha256" required
}

// Statement is an in-toto statement carrying SLSA provenance.
type Statement struct {
	Type          string               `json:"_type"`
	Subject       []ResourceDescriptor `json:"subject"`
	PredicateType string               `json:"predicateType"`
	Predicate     Provenance           `json:"predicate"`
}

// Provenance is the SLSA v1 predicate.
type Provenance struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition holds the inputs of the build.
type BuildDefinition struct {
	BuildType            string               `json:"buildType"`
	ExternalParameters   map[string]any       `json:"externalParameters"`
	InternalParameters   map[string]any       `json:"internalParameters,omitempty"`
	ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies,omitempty"`
}

// RunDetails describes the run itself.
type RunDetails struct {
	Builder    Builder              `json:"builder"`
	Metadata   *Metadata            `json:"metadata,omitempty"`
	Byproducts []ResourceDescriptor `json:"byproducts,omitempty"`
}

// Builder identifies the platform that trained the model.
type Builder struct {
	ID                  string               `json:"id"`
	Version             map[string]string    `json:"version,omitempty"`
	BuilderDependencies []ResourceDescriptor `json:"builderDependencies,omitempty"`
}

// Metadata holds the run's identity and timing.
type Metadata struct {
	InvocationID string     `json:"invocationId,omitempty"`
	StartedOn    *time.Time `json:"startedOn,omitempty"`
	FinishedOn   *time.Time `json:"finishedOn,omitempty"`
}

// ResourceDescriptor is an in-toto v1 resource descriptor.
type ResourceDescriptor struct {
	Name        string            `json:"name,omitempty"`
	URI         string            `json:"uri,omitempty"`
	Digest      map[string]string `json:"digest,omitempty"`
	Annotations map[string]any    `json:"annotations,omitempty"`
}

// Annotation keys on resolved dependencies that say what each one is.
const (
	roleKey       = "role"
	roleCode      = "code"
	roleDataset   = "dataset"
	roleBaseModel = "base_model"
)

// New builds the provenance statement for one training run.
func New(t Training) (*Statement, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	root := strings.TrimPrefix(t.Digest, "sha256:")

	source := map[string]any{"repository": t.Code.Repository}
	if t.Code.Path != "" {
		source["path"] = t.Code.Path
	}
	ext := map[string]any{
		"model":   t.Model,
		"version": t.Version,
		"source":  source,
	}
	if len(t.Hyperparameters) > 0 {
		ext["hyperparameters"] = t.Hyperparameters
	}
	deps := []ResourceDescriptor{{
		Name:        "code",
		URI:         "git+" + t.Code.Repository + "@" + t.Code.Commit,
		Digest:      map[string]string{"gitCommit": t.Code.Commit},
		Annotations: map[string]any{roleKey: roleCode},
	}}
	var datasets []string
	for _, d := range t.Datasets {
		datasets = append(datasets, d.Name)
		deps = append(deps, d.descriptor(roleDataset))
	}
	if len(datasets) > 0 {
		ext["datasets"] = datasets
	}
	if t.BaseModel != nil {
		ext["baseModel"] = t.BaseModel.Name
		deps = append(deps, t.BaseModel.descriptor(roleBaseModel))
	}
	started, finished := t.StartedOn.UTC(), t.FinishedOn.UTC()
	st := &Statement{
		Type: StatementType,
		Subject: []ResourceDescriptor{{
			Name:   t.Model + "@" + t.Version,
			Digest: map[string]string{"sha256": root},
		}},
		PredicateType: PredicateType,
		Predicate: Provenance{
			BuildDefinition: BuildDefinition{
				BuildType:            BuildType,
				ExternalParameters:   ext,
				ResolvedDependencies: deps,
			},
			RunDetails: RunDetails{
				Builder:  t.Builder,
				Metadata: &Metadata{InvocationID: t.RunID, StartedOn: &started, FinishedOn: &finished},
			},
		},
	}
	for _, b := range t.Byproducts {
		st.Predicate.RunDetails.Byproducts = append(st.Predicate.RunDetails.Byproducts, b.descriptor(""))
	}
	return st, nil
}

// JSON encodes the statement; it is the payload to sign with
// signing.SignEnvelope.
func (s *Statement) JSON() ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode provenance: %w", err)
	}
	return b, nil
}

func (a Artifact) descriptor(role string) ResourceDescriptor {
	d := ResourceDescriptor{Name: a.Name, URI: a.URI, Digest: a.Digest}
	if role != "" {
		d.Annotations = map[string]any{roleKey: role}
	}
	return d
}

func (t *Training) check() error {
	switch {
	case t.Model == "" || t.Version == "":
		return fmt.Errorf("provenance needs the model name and version")
	case !strings.HasPrefix(t.Digest, "sha256:") || !isHex(strings.TrimPrefix(t.Digest, "sha256:"), 32):
		return fmt.Errorf("model digest %q must be \"sha256:\" and 64 hex digits, the OMS root digest of the signed model", t.Digest)
	case !isURL(t.Code.Repository):
		return fmt.Errorf("code repository %q must be an absolute URL such as https://github.com/org/repo", t.Code.Repository)
	case !isHex(t.Code.Commit, 20) && !isHex(t.Code.Commit, 32):
		return fmt.Errorf("code commit %q must be a full git commit hash (40 or 64 lowercase hex digits)", t.Code.Commit)
	case !isURL(t.Builder.ID):
		return fmt.Errorf("builder id %q must be a URI naming the training platform", t.Builder.ID)
	case t.RunID == "":
		return fmt.Errorf("provenance needs the training run id")
	case t.StartedOn.IsZero() || t.FinishedOn.IsZero():
		return fmt.Errorf("provenance needs the training start and finish times")
	case t.FinishedOn.Before(t.StartedOn):
		return fmt.Errorf("training finished (%s) before it started (%s)", t.FinishedOn.Format(time.RFC3339), t.StartedOn.Format(time.RFC3339))
	}
	for i, d := range t.Datasets {
		if err := d.check(fmt.Sprintf("dataset %d", i+1)); err != nil {
			return err
		}
	}
	if t.BaseModel != nil {
		if err := t.BaseModel.check("base model"); err != nil {
			return err
		}
	}
	for i, b := range t.Byproducts {
		if err := b.check(fmt.Sprintf("byproduct %d", i+1)); err != nil {
			return err
		}
	}
	if _, err := json.Marshal(t.Hyperparameters); err != nil {
		return fmt.Errorf("hyperparameters must be plain JSON values: %w", err)
	}
	return nil
}

func (a *Artifact) check(what string) error {
	if a.Name == "" {
		return fmt.Errorf("%s needs a name", what)
	}
	if !isHex(a.Digest["sha256"], 32) {
		return fmt.Errorf("%s %q needs a sha256 digest of 64 lowercase hex digits", what, a.Name)
	}
	if a.URI != "" && !isURL(a.URI) {
		return fmt.Errorf("%s %q has URI %q, which is not absolute", what, a.Name, a.URI)
	}
	return nil
}

func isHex(s string, n int) bool {
	if len(s) != 2*n || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "")
}
