package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/controls"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// sharedDir finds the shared/ folder beside the repository root.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			shared := filepath.Join(filepath.Dir(dir), "shared")
			if _, err := os.Stat(shared); err == nil {
				return shared
			}
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	t.Skip("the shared/ folder with the OSCAL schema is not beside the repository; skipping schema validation")
	return ""
}

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// oscalSchema compiles NIST's OSCAL 1.1.3 complete JSON schema.
func oscalSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(sharedDir(t), "data", "standards", "oscal", "oscal_complete_schema-1.1.3.json")
	schemaOnce.Do(func() {
		raw, err := os.ReadFile(path)
		if err != nil {
			schemaErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			schemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource("oscal.json", doc); err != nil {
			schemaErr = err
			return
		}
		schema, schemaErr = c.Compile("oscal.json")
	})
	if schemaErr != nil {
		t.Fatal(schemaErr)
	}
	return schema
}

func validateOSCAL(t *testing.T, v any) error {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return oscalSchema(t).Validate(inst)
}

var at = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// naReason is why the fixture's AI-SEC-05 is not applicable.
const naReason = "provider_credentials_rotated: no provider in scope holds a credential: every provider is secretless (demo)"

func fixtureResults(t *testing.T, withPOAM bool) ResultsInput {
	cat, err := controls.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	from := at.Add(-90 * controls.Day)
	var hist []controls.ControlHistory
	last := &controls.RunResult{ID: "r1", Time: at}
	for i, k := range cat.Controls {
		h := controls.ControlHistory{Control: k.ID, Title: k.Title, Owner: k.Owner, Frequency: k.Frequency, From: from, To: at,
			Evaluations: 2160, Passing: 2160, Operated: true, Exceptions: []controls.Exception{}, Last: &controls.Evaluation{Index: uint64(1000 + i), Time: at, Status: controls.Pass}}
		if i%5 == 0 {
			h.Operated, h.Passing = false, 2100
			h.Exceptions = append(h.Exceptions, controls.Exception{Kind: controls.ExceptionFailing, Status: controls.Fail, Start: from.Add(10 * controls.Day),
				End: from.Add(12 * controls.Day), Duration: 2 * controls.Day, Reason: "keys without limits", Evidence: []uint64{5, 9}})
		}
		if withPOAM && i%7 == 0 {
			h.Operated = false
			h.Exceptions = append(h.Exceptions, controls.Exception{Kind: controls.ExceptionFailing, Status: controls.NoEvidence, Start: at.Add(-40 * controls.Day),
				Open: true, Duration: 40 * controls.Day, Reason: "no attestation has been uploaded"})
		}
		st := controls.Pass
		if k.ID == "AI-SEC-05" {
			// Every provider is secretless: nothing to rotate all period.
			st = controls.NotApplicable
			h.Passing, h.NotApplicable = 0, h.Evaluations
			h.Last.Status, h.Last.Reason = st, naReason
		}
		hist = append(hist, h)
		last.Controls = append(last.Controls, controls.ControlResult{Control: k.ID, Status: st, Reason: h.Last.Reason, Time: at})
	}
	return ResultsInput{Catalog: cat, Last: last, History: hist, POAM: controls.POAM(cat, hist, at), From: from, To: at, Generated: at, PackageID: "pkg-test"}
}

func TestOSCALValidates(t *testing.T) {
	for _, withPOAM := range []bool{true, false} {
		in := fixtureResults(t, withPOAM)
		if withPOAM && len(in.POAM) == 0 {
			t.Fatal("fixture has no open exceptions")
		}
		for name, doc := range map[string]any{
			"catalog":            OSCALCatalog(in.Catalog, at),
			"assessment-results": OSCALAssessmentResults(in),
			"poam":               OSCALPOAM(in),
		} {
			if err := validateOSCAL(t, doc); err != nil {
				t.Errorf("%s (open items %v) does not validate against OSCAL 1.1.3: %v", name, withPOAM, err)
			}
		}
	}
}

// TestOSCALSchemaRejects keeps the validation honest: a broken document
// must fail it.
func TestOSCALSchemaRejects(t *testing.T) {
	in := fixtureResults(t, true)
	cat := OSCALCatalog(in.Catalog, at)
	cat["catalog"].(map[string]any)["uuid"] = "not-a-uuid"
	if validateOSCAL(t, cat) == nil {
		t.Fatal("a catalog with a malformed uuid validated")
	}
	poam := OSCALPOAM(in)
	poam["plan-of-action-and-milestones"].(map[string]any)["poam-items"] = []any{}
	if validateOSCAL(t, poam) == nil {
		t.Fatal("a POA&M without items validated")
	}
}

func TestOSCALContent(t *testing.T) {
	in := fixtureResults(t, true)
	ar, _ := json.Marshal(OSCALAssessmentResults(in))
	for _, want := range []string{`"state":"not-satisfied"`, `"state":"satisfied"`, `"target-id":"ai-sec-01_obj"`, `keys without limits`,
		// Not applicable is no deficiency, and says why.
		`"implementation-status":{"remarks":"` + naReason + `","state":"not-applicable"}`, `"reason":"other"`} {
		if !bytes.Contains(ar, []byte(want)) {
			t.Errorf("assessment results lack %s", want)
		}
	}
	p, _ := json.Marshal(OSCALPOAM(in))
	if !bytes.Contains(p, []byte(`"name":"owner"`)) || !bytes.Contains(p, []byte(`"name":"due"`)) {
		t.Error("POA&M items lack owner and due date")
	}
	if a, again := uuid5("a"), uuid5("a"); a != again || a == uuid5("b") {
		t.Error("uuid5 must be stable and distinct")
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(uuid5("x")) {
		t.Errorf("uuid5 %s is not a version 5 UUID", uuid5("x"))
	}
}

// ValidateOSCALFile validates a written OSCAL document, for the external
// export tests.
func ValidateOSCALFile(t *testing.T, path string) error {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return validateOSCAL(t, v)
}
