package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestMatrixGolden(t *testing.T) {
	in := fixtureResults(t, true)
	rows := Matrix(in.Catalog, in.Last, in.History, map[string]int{"AI-SEC-01": 25})
	var csv, html bytes.Buffer
	if err := WriteCSV(&csv, rows); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, in.Catalog, rows, in.From, in.To, at); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"matrix.golden.csv": csv.Bytes(), "matrix.golden.html": html.Bytes()} {
		path := filepath.Join("testdata", name)
		if *update {
			os.MkdirAll("testdata", 0o755)
			os.WriteFile(path, got, 0o644)
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs; run go test -update and review the diff", path)
		}
	}
}
