package registry

import (
	"context"
	"fmt"
	"slices"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/registry/lineage"
)

// LineageResult is an accepted OpenLineage run event.
type LineageResult struct {
	Index  uint64          `json:"index"`
	Record *lineage.Record `json:"record"`
	// Versions are the registered model versions among the run's outputs.
	Versions []string `json:"versions,omitempty"`
}

// IngestLineage validates an OpenLineage 2-0-2 run event and records it as
// lineage.run. An output whose digest is a registered model version's
// digest links the run to that version.
func (s *Service) IngestLineage(ctx context.Context, tenant string, actor ledger.Actor, data []byte) (LineageResult, error) {
	rec, err := lineage.Parse(data)
	if err != nil {
		return LineageResult{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	e, err := rec.Event(tenant, actor)
	if err != nil {
		return LineageResult{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	res := LineageResult{Record: rec}
	for _, out := range rec.Outputs {
		if out.Digest == "" {
			continue
		}
		for _, id := range s.versionsWithDigest(ctx, tenant, out.Digest) {
			if len(e.Subjects) < 32 && !slices.Contains(e.Subjects, versionRef(id)) {
				e.Subjects = append(e.Subjects, versionRef(id))
				res.Versions = append(res.Versions, id)
			}
		}
	}
	res.Index, err = s.append(ctx, e)
	return res, err
}
