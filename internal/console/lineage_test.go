package console

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sampleLineage() Lineage {
	return Lineage{
		Nodes: []LineageNode{
			{ID: "d1", Kind: NodeDataset, Label: "tickets"}, {ID: "d2", Kind: NodeDataset, Label: "faq"},
			{ID: "r1", Kind: NodeRun, Label: "run-a"}, {ID: "r2", Kind: NodeRun, Label: "run-b"},
			{ID: "m2", Kind: NodeModel, Label: "bot@2"}, {ID: "m1", Kind: NodeModel, Label: "bot@1 with a rather long version label"},
			{ID: "p", Kind: NodeDeployment, Label: "production"},
		},
		Edges: []LineageEdge{{"d1", "r1"}, {"d2", "r2"}, {"r1", "m1"}, {"r2", "m2"}, {"m2", "p"}, {"m1", "missing"}},
	}
}

func TestLineageLayout(t *testing.T) {
	g := layoutLineage(sampleLineage())
	byLabel := map[string]svgNode{}
	for _, n := range g.Nodes {
		byLabel[n.Full] = n
	}
	// Models follow their runs' order although the input lists bot@2 first.
	if byLabel["bot@1 with a rather long version label"].Y >= byLabel["bot@2"].Y {
		t.Fatal("model versions are not ordered by their parents")
	}
	if l := byLabel["bot@1 with a rather long version label"].Label; len([]rune(l)) != labelChars {
		t.Fatalf("label %q is not clipped to %d characters", l, labelChars)
	}
	if len(g.Edges) != 5 {
		t.Fatalf("%d edges; the edge to a missing node must be dropped", len(g.Edges))
	}
	for _, n := range g.Nodes {
		if n.X+n.W > g.Width || n.Y+n.H > g.Height {
			t.Fatalf("node %s lies outside the %dx%d drawing", n.Full, g.Width, g.Height)
		}
	}
}

func TestLineageBounded(t *testing.T) {
	var g Lineage
	for i := range maxNodes + 10 {
		g.Nodes = append(g.Nodes, LineageNode{ID: string(rune('a'+i%26)) + string(rune(i)), Kind: NodeDataset})
	}
	if out := layoutLineage(g); len(out.Nodes) != maxNodes || out.Hidden != 10 {
		t.Fatalf("%d nodes drawn, %d hidden", len(out.Nodes), out.Hidden)
	}
}

func TestLineageSVGGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := parsePages()["model"].t.ExecuteTemplate(&buf, "lineage", layoutLineage(sampleLineage())); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "lineage.svg.golden")
	if *update {
		os.WriteFile(path, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("lineage SVG differs from %s; rerun with -update if the change is intended:\n%s", path, buf.String())
	}
}
