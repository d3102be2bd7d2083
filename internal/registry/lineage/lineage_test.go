package lineage

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

var update = flag.Bool("update", false, "rewrite golden files")

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseGolden(t *testing.T) {
	r, err := Parse(readTestdata(t, "complete.json"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.MarshalIndent(r, "", "  ")
	golden := filepath.Join("testdata", "complete.record.golden.json")
	if *update {
		os.WriteFile(golden, append(got, '\n'), 0o644)
	}
	if want := readTestdata(t, "complete.record.golden.json"); string(want) != string(got)+"\n" {
		t.Errorf("record differs from golden:\n%s", got)
	}
	if r.RunID != "0192f1e2-7c1a-7b3e-9d4f-2a6b8c0d1e2f" || r.EventTime.Location() != time.UTC {
		t.Errorf("run id %q, time %v: want lowercase UUID and UTC", r.RunID, r.EventTime)
	}
	if r.Inputs[0].Digest == "" || r.Inputs[1].Digest != "" || r.Inputs[1].Version != "v42" {
		t.Errorf("inputs %+v", r.Inputs)
	}
}

// mutate decodes the golden input, applies edit and re-encodes it.
func mutate(t *testing.T, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readTestdata(t, "complete.json"), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ := json.Marshal(m)
	return b
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		data func(t *testing.T) []byte
		want string // a field the error must name
	}{
		{"not json", func(*testing.T) []byte { return []byte("{") }, "not JSON"},
		{"array", func(*testing.T) []byte { return []byte("[]") }, "JSON object"},
		{"no run", func(t *testing.T) []byte { return mutate(t, func(m map[string]any) { delete(m, "run") }) }, "event: missing property 'run'"},
		{"bad run id", func(t *testing.T) []byte {
			return mutate(t, func(m map[string]any) { m["run"].(map[string]any)["runId"] = "run-1" })
		}, "run.runId"},
		{"bad event type", func(t *testing.T) []byte { return mutate(t, func(m map[string]any) { m["eventType"] = "DONE" }) }, "eventType"},
		{"bad time", func(t *testing.T) []byte { return mutate(t, func(m map[string]any) { m["eventTime"] = "yesterday" }) }, "eventTime"},
		{"no producer", func(t *testing.T) []byte { return mutate(t, func(m map[string]any) { delete(m, "producer") }) }, "'producer'"},
		{"job without name", func(t *testing.T) []byte {
			return mutate(t, func(m map[string]any) { delete(m["job"].(map[string]any), "name") })
		}, "job: missing property 'name'"},
		{"input without namespace", func(t *testing.T) []byte {
			return mutate(t, func(m map[string]any) { delete(m["inputs"].([]any)[1].(map[string]any), "namespace") })
		}, "inputs[1]"},
		{"facet without producer", func(t *testing.T) []byte {
			return mutate(t, func(m map[string]any) {
				delete(m["inputs"].([]any)[0].(map[string]any)["facets"].(map[string]any)["version"].(map[string]any), "_producer")
			})
		}, "inputs[0].facets.version"},
		{"version not a string", func(t *testing.T) []byte {
			return mutate(t, func(m map[string]any) {
				m["inputs"].([]any)[0].(map[string]any)["facets"].(map[string]any)["version"].(map[string]any)["datasetVersion"] = 3
			})
		}, "datasetVersion"},
		{"too large", func(*testing.T) []byte { return make([]byte, MaxEventSize+1) }, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.data(t))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalid naming %q", err, tc.want)
			}
		})
	}
}

func TestParseMinimal(t *testing.T) {
	r, err := Parse([]byte(`{"eventTime":"2025-01-01T00:00:00Z","producer":"https://p.example","schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent","run":{"runId":"3f1e9a52-1c1d-4f6e-9a0b-0c2d4e6f8a1b"},"job":{"namespace":"n","name":"j"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.EventType != "" || r.Inputs != nil || r.ParentRunID != "" {
		t.Fatalf("record %+v", r)
	}
}

func TestRecordEvent(t *testing.T) {
	r, err := Parse(readTestdata(t, "complete.json"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := r.Event("acme", ledger.Actor{Kind: ledger.ActorService, ID: "airflow"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Canonical(time.Now()); err != nil {
		t.Fatalf("lineage.run event is invalid: %v", err)
	}
	if e.Type != EventRun || len(e.Subjects) != 2 || e.Subjects[1].ID != r.Inputs[0].Digest {
		t.Fatalf("event %s subjects %+v", e.Type, e.Subjects)
	}
	var body RunBody
	json.Unmarshal(e.Body, &body)
	if body.InputCount != 2 || body.OutputCount != 1 || body.Job.Name != "train.support_classifier" {
		t.Fatalf("body %+v", body)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(readTestdata(f, "complete.json"))
	f.Add([]byte(`{"eventTime":"2025-01-01T00:00:00Z","producer":"https://p","schemaURL":"https://s","run":{"runId":"3f1e9a52-1c1d-4f6e-9a0b-0c2d4e6f8a1b"},"job":{"namespace":"n","name":"j"},"inputs":[{"namespace":"a","name":"b","facets":{"version":{"_producer":"https://p","_schemaURL":"https://s","datasetVersion":"sha256:00"}}}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"run":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if r.RunID == "" || r.Job.Name == "" || r.Job.Namespace == "" {
			t.Fatalf("accepted an event without run id or job: %+v", r)
		}
		for _, d := range append(r.Inputs, r.Outputs...) {
			if d.Digest != "" && !isDigest(strings.TrimPrefix(d.Digest, "sha256:")) {
				t.Fatalf("bad digest %q", d.Digest)
			}
		}
	})
}
