package registry_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/registry"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file; got:\n%s", name, got)
	}
}

func TestModelCard(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	f.chain("support")
	f.signedVersion("support", "2")
	c, err := f.svc.Card(f.ctx, tenant, "support")
	f.must(err)
	ids := regexp.MustCompile(`chg_[a-z2-7]{16}`)
	golden(t, "card.md", ids.ReplaceAll(c.Markdown(), []byte("chg_ID")))

	b, err := json.Marshal(c)
	f.must(err)
	var back registry.ModelCard
	f.must(json.Unmarshal(b, &back))
	if back.Model.Name != "support" || len(back.Versions) != 2 || len(back.Aliases) != 1 || len(back.Suites) != 1 {
		t.Fatalf("JSON card: %d versions, %d aliases, %d suites", len(back.Versions), len(back.Aliases), len(back.Suites))
	}
}

func TestLineageLinksRunsToVersions(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	f.signedVersion("support", "1")
	v, err := f.svc.Version(f.ctx, tenant, "support@1")
	f.must(err)
	res, err := f.svc.IngestLineage(f.ctx, tenant, ci, lineageEvent(runID("x"), "sha256:"+hexString(make([]byte, 32)), v.Digest))
	f.must(err)
	if len(res.Versions) != 1 || res.Versions[0] != "support@1" || res.Record.RunID != runID("x") {
		t.Fatalf("lineage: %+v", res)
	}
	es := f.events("lineage.run", ledger.Ref{Kind: "model_version", ID: "support@1"})
	if len(es) != 1 || es[0].Index != res.Index {
		t.Fatal("the run is not linked to the version in the ledger")
	}
	_, err = f.svc.IngestLineage(f.ctx, tenant, ci, []byte(`{"eventType":"COMPLETE"}`))
	wantErr(t, err, registry.ErrInvalid, "")
}
