package controls

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestDescriptionGolden(t *testing.T) {
	cat, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	f := NewFacts()
	f.register(KindDataset, "claims-2025", 4)
	f.register(KindModel, "fraud", 9)
	f.Aliases["fraud/production"] = &AliasFacts{Model: "fraud", Alias: "production", Version: "fraud@3"}
	scope := Scope(cat, []Component{{Kind: KindProvider, Name: "openai", Source: "config"}}, f.discover(),
		[]Component{{Kind: "spreadsheet", Name: "crm export", Stage: StageIngestion, Source: "user"}})
	got := Describe(cat, scope, "", now).Markdown()
	path := filepath.Join("testdata", "description.golden.md")
	if *update {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(path, []byte(got), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("system description differs from %s; run go test -update and review the diff\n%s", path, got)
	}
}
