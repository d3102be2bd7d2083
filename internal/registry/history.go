package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// Stages of a version's history, in the order History lists them.
const (
	StageData       = "data"
	StageCode       = "code"
	StageSignature  = "signature"
	StageEvaluation = "evaluation"
	StageApproval   = "approval"
	StageDeployment = "deployment"
	StageMonitoring = "monitoring"
)

var stageOrder = []string{StageData, StageCode, StageSignature, StageEvaluation, StageApproval, StageDeployment, StageMonitoring}

// stageOf places an event type in the chain.
func stageOf(typ string) string {
	switch typ {
	case EventDatasetRegistered, "lineage.run":
		return StageData
	case EventModelRegistered, EventVersionRegistered:
		return StageCode
	case "model.signed":
		return StageSignature
	case EventEvalCompleted, EventSuiteRegistered:
		return StageEvaluation
	case EventChangeRequested, EventChangeApproved, EventChangeRejected, EventChangeEmergency, EventChangeReviewed:
		return StageApproval
	case EventAliasMoved, "model.verified":
		return StageDeployment
	}
	return StageMonitoring
}

// HistoryEntry is one ledger entry of a version's history with the proof
// that it is in the ledger.
type HistoryEntry struct {
	Stage string       `json:"stage"`
	Index uint64       `json:"index"`
	Type  string       `json:"type"`
	Time  time.Time    `json:"time"`
	Actor ledger.Actor `json:"actor"`
	// Event is the canonical entry: hash it to get the leaf.
	Event json.RawMessage       `json:"event"`
	Proof ledger.InclusionClaim `json:"proof"`
}

// History is the complete, provable story of a model version: its data,
// code, signature, evaluations, approvals, deployments and monitoring.
type History struct {
	Model   Model          `json:"model"`
	Version Version        `json:"version"`
	Size    uint64         `json:"size"`
	Entries []HistoryEntry `json:"entries"`
}

// maxHistory bounds the entries read per subject query. A version with
// more (drift reports every hour for years) shows its first ones; the
// ledger query API pages through the rest.
const maxHistory = 2000

// History gathers every ledger entry about a version through indexed
// subject queries (never a scan, so its cost does not grow with the
// ledger) and proves each against one signed checkpoint.
func (s *Service) History(ctx context.Context, tenant, id string) (History, error) {
	if s.d.Reader == nil || s.d.Proofs == nil || s.d.Checkpoints == nil {
		return History{}, fmt.Errorf("history needs the ledger reader, prover and checkpoints")
	}
	v, err := s.Version(ctx, tenant, id)
	if err != nil {
		return History{}, err
	}
	m, err := s.Model(ctx, tenant, v.Model)
	if err != nil {
		return History{}, err
	}
	h := History{Model: m, Version: v}
	seen := map[uint64]bool{}
	var entries []ledger.Entry
	add := func(q ledger.Query, keep func(*ledger.Event) bool) error {
		q.Tenant, q.Limit = tenant, maxHistory
		es, err := s.d.Reader.Query(ctx, q)
		if err != nil {
			return fmt.Errorf("query the ledger: %w", err)
		}
		for _, e := range es {
			if !seen[e.Index] && (keep == nil || keep(&e.Event)) {
				seen[e.Index] = true
				entries = append(entries, e)
			}
		}
		return nil
	}
	vref := versionRef(id)
	queries := []ledger.Query{
		{Subject: &vref},
		{Subject: ptr(modelRef(v.Model)), Type: EventModelRegistered},
	}
	for _, d := range v.Datasets {
		queries = append(queries, ledger.Query{Subject: ptr(datasetRef(d.Digest))})
	}
	if v.TrainingRun != "" {
		queries = append(queries, ledger.Query{Subject: ptr(runRef(v.TrainingRun))})
	}
	for _, q := range queries {
		if err := add(q, nil); err != nil {
			return History{}, err
		}
	}
	// Each dataset's registration, but not its other snapshots.
	for _, d := range v.Datasets {
		snap := datasetRef(d.Digest)
		otherSnapshot := func(e *ledger.Event) bool {
			return slices.ContainsFunc(e.Subjects, func(r ledger.Ref) bool { return r.Kind == "dataset" && digestPattern.MatchString(r.ID) && r != snap })
		}
		if err := add(ledger.Query{Subject: ptr(datasetRef(d.Name)), Type: EventDatasetRegistered}, func(e *ledger.Event) bool { return !otherSnapshot(e) }); err != nil {
			return History{}, err
		}
	}
	// The suites the version was evaluated on, and its changes' decisions
	// (which also name the version, but a rejection may not).
	for name := range v.Evals {
		if err := add(ledger.Query{Subject: ptr(suiteRef(name)), Type: EventSuiteRegistered}, nil); err != nil {
			return History{}, err
		}
	}
	var changes []string
	for _, e := range entries {
		for _, r := range e.Event.Subjects {
			if r.Kind == "change" && !slices.Contains(changes, r.ID) {
				changes = append(changes, r.ID)
			}
		}
	}
	for _, c := range changes {
		if err := add(ledger.Query{Subject: ptr(changeRef(c))}, func(e *ledger.Event) bool { return e.Type != EventAliasMoved || mentions(e, vref) }); err != nil {
			return History{}, err
		}
	}
	if len(entries) == 0 {
		return h, nil
	}
	slices.SortFunc(entries, func(a, b ledger.Entry) int {
		if d := slices.Index(stageOrder, stageOf(a.Event.Type)) - slices.Index(stageOrder, stageOf(b.Event.Type)); d != 0 {
			return d
		}
		return compareUint(a.Index, b.Index)
	})
	last := uint64(0)
	for _, e := range entries {
		last = max(last, e.Index)
	}
	cp, err := s.d.Checkpoints.Publish(ctx)
	if err != nil {
		return History{}, fmt.Errorf("checkpoint: %w", err)
	}
	if cp.Size <= last {
		return History{}, fmt.Errorf("the newest checkpoint covers %d entries, but the history reaches entry %d; retry in a moment", cp.Size, last)
	}
	h.Size = cp.Size
	for _, e := range entries {
		proof, err := s.d.Proofs.InclusionProof(ctx, e.Index, cp.Size)
		if err != nil {
			return History{}, err
		}
		leaf := tlog.RecordHash(e.Data)
		claim := ledger.InclusionClaim{Index: e.Index, Size: cp.Size, LeafHash: b64(leaf[:]), Checkpoint: string(cp.Note), Hashes: make([]string, len(proof))}
		for i, p := range proof {
			claim.Hashes[i] = b64(p[:])
		}
		h.Entries = append(h.Entries, HistoryEntry{
			Stage: stageOf(e.Event.Type), Index: e.Index, Type: e.Event.Type, Time: e.Event.Time, Actor: e.Event.Actor,
			Event: e.Data, Proof: claim,
		})
	}
	return h, nil
}

// Verify checks every entry's proof against the ledger verifier key.
func (h *History) Verify(vkey string) error {
	for _, e := range h.Entries {
		if err := e.Proof.Verify(vkey, e.Event); err != nil {
			return fmt.Errorf("entry %d (%s): %w", e.Index, e.Type, err)
		}
	}
	return nil
}

func mentions(e *ledger.Event, r ledger.Ref) bool { return slices.Contains(e.Subjects, r) }

func ptr[T any](v T) *T { return &v }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
