package controls

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Stage is a lifecycle stage of the AI system, used to group components in
// the system description.
type Stage string

// Stages, in the order the system description lists them.
const (
	StageIngestion  Stage = "ingestion"
	StageTraining   Stage = "training"
	StageInference  Stage = "deployment_inference"
	StageStorage    Stage = "storage"
	StageSupporting Stage = "supporting_technology"
	StagePeople     Stage = "people_processes"
)

// Stages lists every stage in order.
var Stages = []Stage{StageIngestion, StageTraining, StageInference, StageStorage, StageSupporting, StagePeople}

// StageTitle is a stage's heading in the system description.
func (s Stage) Title() string {
	switch s {
	case StageIngestion:
		return "Data ingestion"
	case StageTraining:
		return "Training and evaluation"
	case StageInference:
		return "Deployment and inference"
	case StageStorage:
		return "Storage"
	case StageSupporting:
		return "Supporting technology"
	default:
		return "People and processes"
	}
}

// Component kinds discovered from configuration and the ledger. Catalog
// controls name the kinds they cover.
const (
	KindProvider = "provider"
	KindModel    = "model"
	KindDataset  = "dataset"
	KindVendor   = "vendor"
)

// Component is one part of the system in scope.
type Component struct {
	// ID is "kind:name" and unique.
	ID          string `json:"id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Stage       Stage  `json:"stage"`
	Description string `json:"description,omitempty"`
	// Source says where the component came from: builtin, config, ledger
	// or user.
	Source string `json:"source"`
	// Controls are controls a person linked explicitly, in addition to
	// those the catalog links by kind.
	Controls []string `json:"controls,omitempty"`
	// Secretless marks a component configured without a credential (a
	// provider called without a key, such as the built-in demo model), so
	// there is no credential to rotate.
	Secretless bool      `json:"secretless,omitempty"`
	Added      time.Time `json:"added,omitzero"`
	AddedBy    string    `json:"added_by,omitempty"`
}

// ComponentSource lists components found in configuration: the gateway's
// providers and models, datasets, vendors.
type ComponentSource interface {
	Components(ctx context.Context) ([]Component, error)
}

// StaticComponents is a fixed ComponentSource.
type StaticComponents []Component

// Components implements ComponentSource.
func (s StaticComponents) Components(context.Context) ([]Component, error) { return s, nil }

var componentName = regexp.MustCompile(`^[\x21-\x7e][\x20-\x7e]{0,127}$`)

// Validate checks a component a person adds.
func (c *Component) Validate() error {
	if !componentName.MatchString(c.Name) {
		return fmt.Errorf("component name must be 1-128 printable ASCII characters")
	}
	if !componentName.MatchString(c.Kind) || strings.ContainsAny(c.Kind, ": ") {
		return fmt.Errorf("component kind must be a short word such as \"database\" or \"provider\"")
	}
	if !slices.Contains(Stages, c.Stage) {
		return fmt.Errorf("stage %q must be one of ingestion, training, deployment_inference, storage, supporting_technology, people_processes", c.Stage)
	}
	if len(c.Description) > 2000 {
		return fmt.Errorf("description is over 2000 characters")
	}
	if len(c.Controls) > 100 {
		return fmt.Errorf("at most 100 linked controls")
	}
	c.ID = c.Kind + ":" + c.Name
	return nil
}

// builtinComponents are attest's own parts and the people around them.
var builtinComponents = []Component{
	{Kind: "gateway", Name: "attest gateway", Stage: StageInference, Description: "OpenAI- and Anthropic-compatible API that authenticates, limits, guards, routes and records every inference request."},
	{Kind: "ledger", Name: "evidence ledger", Stage: StageStorage, Description: "Append-only Merkle log of typed events with signed checkpoints."},
	{Kind: "vault", Name: "payload vault", Stage: StageStorage, Description: "Per-subject encrypted payloads that erasure crypto-shreds."},
	{Kind: "storage", Name: "database", Stage: StageStorage, Description: "Embedded SQLite or PostgreSQL holding keys, state and the ledger."},
	{Kind: "identity", Name: "keys and roles", Stage: StageSupporting, Description: "API keys, roles and access reviews."},
	{Kind: "supporting", Name: "hosting platform", Stage: StageSupporting, Description: "The hosts, containers and network that run attest."},
	{Kind: "people", Name: "staff roles", Stage: StagePeople, Description: "Engineers, approvers, operators, compliance staff and auditors."},
	{Kind: "process", Name: "operating processes", Stage: StagePeople, Description: "Change approval, access review, incident response and vendor review."},
}

// stageOf places a discovered component.
func stageOf(kind string) Stage {
	switch kind {
	case KindDataset:
		return StageIngestion
	case KindModel:
		return StageTraining
	case KindProvider:
		return StageInference
	default:
		return StageSupporting
	}
}

// discover lists the components the ledger introduced.
func (f *Facts) discover() []Component {
	var out []Component
	for _, kind := range []string{KindProvider, KindModel, KindDataset, KindVendor} {
		for _, name := range sortedKeys(f.Registered[kind]) {
			c := Component{Kind: kind, Name: name, Stage: stageOf(kind), Source: "ledger",
				Description: fmt.Sprintf("first recorded at ledger index %d", f.Registered[kind][name])}
			if kind == KindModel && f.servesProduction(name) {
				c.Stage = StageInference
			}
			out = append(out, c)
		}
	}
	return out
}

func (f *Facts) servesProduction(model string) bool {
	for _, a := range f.Aliases {
		if a.Model == model {
			return true
		}
	}
	return false
}

// ScopedComponent is a component with the controls that cover it.
type ScopedComponent struct {
	Component
	// Covered are the controls linked by kind or explicitly.
	Covered []string `json:"covered_by"`
	// Uncovered is true when no control covers the component: a scoping
	// gap to close before an audit.
	Uncovered bool `json:"uncovered"`
}

// Scope assembles the in-scope components: built-in, configured, found in
// the ledger and added by people, in that order of precedence (later
// sources replace earlier ones with the same id), each linked to controls.
func Scope(cat *Catalog, sources ...[]Component) []ScopedComponent {
	byID := map[string]Component{}
	var order []string
	add := func(c Component, source string) {
		if c.Source == "" {
			c.Source = source
		}
		if c.ID == "" {
			c.ID = c.Kind + ":" + c.Name
		}
		if c.Stage == "" {
			c.Stage = stageOf(c.Kind)
		}
		if _, ok := byID[c.ID]; !ok {
			order = append(order, c.ID)
		}
		byID[c.ID] = c
	}
	for _, c := range builtinComponents {
		add(c, "builtin")
	}
	for _, src := range sources {
		for _, c := range src {
			add(c, "")
		}
	}
	out := make([]ScopedComponent, 0, len(order))
	for _, id := range order {
		c := byID[id]
		sc := ScopedComponent{Component: c}
		for _, k := range cat.Controls {
			if slices.Contains(k.Components, c.Kind) || slices.Contains(c.Controls, k.ID) {
				sc.Covered = append(sc.Covered, k.ID)
			}
		}
		sc.Uncovered = len(sc.Covered) == 0
		out = append(out, sc)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return slices.Index(Stages, out[i].Stage) < slices.Index(Stages, out[j].Stage)
	})
	return out
}
