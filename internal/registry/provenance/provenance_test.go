package provenance

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sha(c byte) string { return strings.Repeat(string(c), 64) }

func example() Training {
	return Training{
		Model:   "support-classifier",
		Version: "3",
		Digest:  "sha256:" + sha('a'),
		Code: Code{
			Repository: "https://github.com/example/support-ml",
			Commit:     strings.Repeat("b", 40),
			Path:       "train.py",
		},
		Datasets: []Artifact{
			{Name: "tickets-2025-q3", URI: "s3://datasets/tickets/2025-q3", Digest: map[string]string{"sha256": sha('c')}},
			{Name: "tickets-holdout", Digest: map[string]string{"sha256": sha('d')}},
		},
		BaseModel:       &Artifact{Name: "distilbert-base", Digest: map[string]string{"sha256": sha('e')}},
		Hyperparameters: map[string]any{"learning_rate": 3e-5, "epochs": 4, "seed": 7},
		Builder:         Builder{ID: "https://ci.example.com/runners/gpu", Version: map[string]string{"cuda": "12.4"}},
		RunID:           "run-8c2f",
		StartedOn:       time.Date(2025, 10, 1, 8, 0, 0, 0, time.UTC),
		FinishedOn:      time.Date(2025, 10, 1, 11, 30, 0, 0, time.FixedZone("CEST", 2*3600)),
		Byproducts:      []Artifact{{Name: "train.log", Digest: map[string]string{"sha256": sha('f')}}},
	}
}

func TestGolden(t *testing.T) {
	st, err := New(example())
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "provenance.golden.json")
	if *update {
		os.WriteFile(golden, append(got, '\n'), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(got)+"\n" {
		t.Errorf("provenance differs from %s:\n%s", golden, got)
	}
}

// slsaFields lists, per object, the field names SLSA Provenance v1 and the
// in-toto v1 statement and resource descriptor define.
var slsaFields = map[string][]string{
	"statement":          {"_type", "subject", "predicateType", "predicate"},
	"predicate":          {"buildDefinition", "runDetails"},
	"buildDefinition":    {"buildType", "externalParameters", "internalParameters", "resolvedDependencies"},
	"runDetails":         {"builder", "metadata", "byproducts"},
	"builder":            {"id", "version", "builderDependencies"},
	"metadata":           {"invocationId", "startedOn", "finishedOn"},
	"resourceDescriptor": {"name", "uri", "digest", "content", "downloadLocation", "mediaType", "annotations"},
}

func checkFields(t *testing.T, what string, obj map[string]any, required ...string) {
	t.Helper()
	for k := range obj {
		if !contains(slsaFields[what], k) {
			t.Errorf("%s has field %q, which SLSA v1 does not define", what, k)
		}
	}
	for _, k := range required {
		if _, ok := obj[k]; !ok {
			t.Errorf("%s lacks required field %q", what, k)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestSLSAStructure decodes the output generically and checks every object
// against the field names of the specification.
func TestSLSAStructure(t *testing.T) {
	st, err := New(example())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := st.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	checkFields(t, "statement", doc, "_type", "subject", "predicateType", "predicate")
	if doc["_type"] != StatementType || doc["predicateType"] != PredicateType {
		t.Fatalf("types %v %v", doc["_type"], doc["predicateType"])
	}
	for _, s := range doc["subject"].([]any) {
		checkFields(t, "resourceDescriptor", s.(map[string]any), "name", "digest")
	}
	pred := doc["predicate"].(map[string]any)
	checkFields(t, "predicate", pred, "buildDefinition", "runDetails")
	bd := pred["buildDefinition"].(map[string]any)
	checkFields(t, "buildDefinition", bd, "buildType", "externalParameters")
	roles := map[string]int{}
	for _, d := range bd["resolvedDependencies"].([]any) {
		rd := d.(map[string]any)
		checkFields(t, "resourceDescriptor", rd, "digest")
		roles[rd["annotations"].(map[string]any)["role"].(string)]++
	}
	if roles[roleCode] != 1 || roles[roleDataset] != 2 || roles[roleBaseModel] != 1 {
		t.Errorf("resolved dependencies by role: %v", roles)
	}
	ext := bd["externalParameters"].(map[string]any)
	if ext["hyperparameters"].(map[string]any)["epochs"] != 4.0 || ext["baseModel"] != "distilbert-base" {
		t.Errorf("external parameters %v", ext)
	}
	rd := pred["runDetails"].(map[string]any)
	checkFields(t, "runDetails", rd, "builder")
	checkFields(t, "builder", rd["builder"].(map[string]any), "id")
	md := rd["metadata"].(map[string]any)
	checkFields(t, "metadata", md)
	for _, k := range []string{"startedOn", "finishedOn"} {
		ts, err := time.Parse(time.RFC3339, md[k].(string))
		if err != nil || ts.Location() != time.UTC {
			t.Errorf("%s = %v is not an RFC 3339 UTC timestamp", k, md[k])
		}
	}
	if md["invocationId"] != "run-8c2f" {
		t.Errorf("invocationId %v", md["invocationId"])
	}
}

func TestNewRejects(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Training)
		want string
	}{
		{func(tr *Training) { tr.Version = "" }, "version"},
		{func(tr *Training) { tr.Digest = sha('a') }, "sha256:"},
		{func(tr *Training) { tr.Digest = "sha256:" + strings.ToUpper(sha('a')) }, "64 hex"},
		{func(tr *Training) { tr.Code.Repository = "github.com/x/y" }, "absolute URL"},
		{func(tr *Training) { tr.Code.Commit = "abc123" }, "full git commit"},
		{func(tr *Training) { tr.Builder.ID = "" }, "builder id"},
		{func(tr *Training) { tr.RunID = "" }, "run id"},
		{func(tr *Training) { tr.StartedOn = time.Time{} }, "start and finish"},
		{func(tr *Training) { tr.FinishedOn = tr.StartedOn.Add(-time.Hour) }, "before it started"},
		{func(tr *Training) { tr.Datasets[1].Digest = nil }, "dataset 2"},
		{func(tr *Training) { tr.Datasets[0].URI = "relative/path" }, "not absolute"},
		{func(tr *Training) { tr.BaseModel.Name = "" }, "base model"},
		{func(tr *Training) { tr.Hyperparameters["bad"] = func() {} }, "hyperparameters"},
	} {
		tr := example()
		tc.edit(&tr)
		_, err := New(tr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want it to mention %q", err, tc.want)
		}
	}
}

func TestMinimalTraining(t *testing.T) {
	tr := example()
	tr.Datasets, tr.BaseModel, tr.Hyperparameters, tr.Byproducts, tr.Code.Path = nil, nil, nil, nil, ""
	st, err := New(tr)
	if err != nil {
		t.Fatal(err)
	}
	ext := st.Predicate.BuildDefinition.ExternalParameters
	for _, k := range []string{"datasets", "baseModel", "hyperparameters"} {
		if _, ok := ext[k]; ok {
			t.Errorf("empty %s should be left out", k)
		}
	}
	if n := len(st.Predicate.BuildDefinition.ResolvedDependencies); n != 1 {
		t.Errorf("%d dependencies, want the code only", n)
	}
}
