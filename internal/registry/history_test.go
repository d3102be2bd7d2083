package registry_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/registry"
)

// lineageEvent is a minimal OpenLineage 2-0-2 run event reading one
// dataset snapshot and writing one model, both known by digest.
func lineageEvent(runID, input, output string) []byte {
	facet := func(d string) string {
		return `{"version":{"_producer":"https://example.com/p","_schemaURL":"https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet","datasetVersion":"` + d + `"}}`
	}
	return []byte(`{"eventType":"COMPLETE","eventTime":"2025-10-01T09:30:00Z","producer":"https://example.com/p",
"schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
"run":{"runId":"` + runID + `"},"job":{"namespace":"ml","name":"train.support"},
"inputs":[{"namespace":"s3://data","name":"tickets","facets":` + facet(input) + `}],
"outputs":[{"namespace":"attest","name":"models/support","facets":` + facet(output) + `}]}`)
}

// runID derives a distinct OpenLineage run id (a UUID) for a model.
func runID(model string) string {
	h := hexString([]byte(model + "................")[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// chain records a complete history for model@1: data, lineage, code,
// signature, evaluation, approval, deployment and verification.
func (f *fixture) chain(model string) {
	f.t.Helper()
	f.model(model, registry.RiskLimited)
	f.trust()
	ds := model + "-tickets"
	_, err := f.svc.RegisterDataset(f.ctx, tenant, alice, registry.DatasetSpec{Name: ds, Owner: "data-team", Classification: "confidential", RetentionDays: 365})
	f.must(err)
	snap := "sha256:" + hexString([]byte(model + "-snapshot-digest-0123456789abcd")[:32])
	_, err = f.svc.AddSnapshot(f.ctx, tenant, alice, ds, registry.SnapshotSpec{Digest: snap, Subjects: []string{"user-1", "user-2"}})
	f.must(err)
	// A later snapshot the version was not trained on.
	_, err = f.svc.AddSnapshot(f.ctx, tenant, alice, ds, registry.SnapshotSpec{Digest: "sha256:" + hexString([]byte(model + "-later-snapshot-0123456789abcdef")[:32])})
	f.must(err)

	dir := writeModel(f.t, map[string]string{"weights.bin": "weights of " + model})
	sig := f.sign(dir)
	_, err = f.svc.RegisterVersion(f.ctx, tenant, alice, model, registry.VersionSpec{
		Version: "1", Bundle: sig.Bundle, Datasets: []registry.DatasetRef{{Name: ds, Digest: snap}},
		Code:            &registry.Code{Repository: "https://github.com/acme/support", Commit: hexString(make([]byte, 20))},
		Hyperparameters: map[string]any{"lr": 0.001, "epochs": 3}, TrainingRun: runID(model),
		StartedOn: f.clock.now().Add(-2 * time.Hour), FinishedOn: f.clock.now().Add(-time.Hour),
	})
	f.must(err)
	_, err = f.svc.IngestLineage(f.ctx, tenant, ci, lineageEvent(runID(model), snap, "sha256:"+sig.RootDigest))
	f.must(err)
	f.suite(model+"-suite", model, 0.8, 0.02)
	f.eval(model+"-suite", model+"@1", 0.9)
	f.verified(model+"@1", dir)
	f.promote(model, "1", registry.AliasProduction)
}

func TestHistoryIsTheFullProvableChain(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	f.chain("support")
	f.chain("other") // unrelated, must not appear
	if _, err := f.svc.RegisterModel(f.ctx, "another-tenant", alice, registry.ModelSpec{Name: "support", Purpose: "p", Owner: "o", Risk: registry.RiskMinimal}); err != nil {
		t.Fatal(err)
	}

	h, err := f.svc.History(f.ctx, tenant, "support@1")
	f.must(err)
	f.must(h.Verify(f.vkey))

	var types, stages []string
	for _, e := range h.Entries {
		types = append(types, e.Type)
		if len(stages) == 0 || stages[len(stages)-1] != e.Stage {
			stages = append(stages, e.Stage)
		}
		if e.Proof.Size != h.Size {
			t.Fatalf("entry %d proven against size %d, the history against %d", e.Index, e.Proof.Size, h.Size)
		}
	}
	want := []string{registry.StageData, registry.StageCode, registry.StageSignature, registry.StageEvaluation, registry.StageApproval, registry.StageDeployment}
	if !slices.Equal(stages, want) {
		t.Fatalf("stages %v, want %v", stages, want)
	}
	registered := 0
	for _, e := range h.Entries {
		if e.Type == "dataset.registered" {
			registered++
		}
	}
	if registered != 2 {
		t.Errorf("want the dataset's registration and its snapshot, got %d dataset.registered entries", registered)
	}
	for _, typ := range []string{"dataset.registered", "lineage.run", "model.registered", "model.version_registered", "model.signed",
		"eval.suite_registered", "eval.completed", "change.requested", "change.approved", "deploy.alias_moved", "model.verified"} {
		if !slices.Contains(types, typ) {
			t.Errorf("history lacks %s: %v", typ, types)
		}
	}
	for _, e := range h.Entries {
		ev, err := ledger.ParseEntryData(e.Event)
		f.must(err)
		if ev.Tenant != tenant {
			t.Fatalf("another tenant's entry %d in the history", e.Index)
		}
		for _, s := range ev.Subjects {
			if s.ID == "other" || s.ID == "other@1" {
				t.Fatalf("unrelated entry %d (%s) in the history", e.Index, e.Type)
			}
		}
	}
	env, err := f.svc.Provenance(f.ctx, tenant, "support@1")
	f.must(err)
	if _, err := registry.VerifyEnvelope(env, f.vkey); err != nil {
		t.Fatalf("provenance does not verify: %v", err)
	}
}

// BenchmarkHistory measures 'attest model history' on a ledger full of
// unrelated entries. ATTEST_BENCH_DATA names a data directory to use (a
// copy of a large ledger, such as one filled with bench/ledger); without
// it the benchmark fills ATTEST_BENCH_FILL (default 100000) entries.
func BenchmarkHistory(b *testing.B) {
	dir := os.Getenv("ATTEST_BENCH_DATA")
	if dir == "" {
		dir = b.TempDir()
	}
	f := openFixture(b, dir, registry.Policy{})
	if os.Getenv("ATTEST_BENCH_DATA") == "" {
		n := 100000
		if s := os.Getenv("ATTEST_BENCH_FILL"); s != "" {
			n, _ = strconv.Atoi(s)
		}
		fill(b, f, n)
	}
	rnd := make([]byte, 4)
	rand.Read(rnd)
	model := "bench-" + hex.EncodeToString(rnd)
	f.chain(model)
	size, _ := f.log.Head()
	for b.Loop() {
		h, err := f.svc.History(f.ctx, tenant, model+"@1")
		if err != nil || len(h.Entries) < 10 {
			b.Fatalf("history: %d entries, %v", len(h.Entries), err)
		}
	}
	b.ReportMetric(float64(size), "ledger_entries")
}

// fill appends n inference events of other tenants.
func fill(b *testing.B, f *fixture, n int) {
	b.Helper()
	actor := ledger.Actor{Kind: ledger.ActorService, ID: "gateway"}
	for i := range n {
		e := ledger.MustEvent("inference.response", "tenant-"+strconv.Itoa(i%4), actor,
			map[string]any{"status": 200, "request_id": fmt.Sprintf("req-%d", i)}, ledger.Ref{Kind: "key", ID: "k_" + strconv.Itoa(i%100)})
		if err := f.log.AppendAsync(f.ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := f.log.Append(f.ctx, ledger.MustEvent("inference.response", "tenant-0", actor, map[string]any{"status": 200})); err != nil {
		b.Fatal(err)
	}
}
