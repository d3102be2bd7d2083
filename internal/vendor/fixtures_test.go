package vendor

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixtureWant is what each synthetic fixture must yield. Empty strings mean
// the field must be absent; counts of -1 mean the tests do not apply.
type fixtureWant struct {
	file       string
	kind       Kind
	status     string
	org        string
	auditor    string
	start, end string
	asOf       string
	reportDate string
	opinion    string
	categories []string
	exceptions []string // control IDs
	untested   []string
	ai         string
	method     string
	subservice int
	cuecs      int
	training   string
	retention  string
}

var fixtureWants = []fixtureWant{
	{file: "soc2-type2-ai-in-scope.txt", kind: KindSOC2Type2, status: DocOK, org: "Nimbus Inference, Inc.", auditor: "Larkspur & Hale LLP",
		start: "2024-04-01", end: "2025-03-31", reportDate: "2025-05-20", opinion: OpinionUnqualified,
		categories: []string{CategorySecurity, CategoryConfidentiality, CategoryProcessingIntegrity},
		exceptions: []string{}, untested: []string{"CC7.4"}, ai: AIInScope, method: MethodCarveOut, subservice: 1, cuecs: 3, training: TrainingForbidden},
	{file: "soc2-type2-qualified-ai-carveout.txt", kind: KindSOC2Type2, status: DocOK, org: "Acme Copilot Ltd", auditor: "Brightwater CPAs, P.C.",
		start: "2025-01-01", end: "2025-06-30", reportDate: "2025-08-08", opinion: OpinionQualified,
		categories: []string{CategorySecurity, CategoryAvailability},
		exceptions: []string{"CC6.2", "CC7.3", "CC8.1"}, untested: []string{}, ai: AICarvedOut, method: MethodCarveOut, subservice: 3, training: TrainingPermitted, retention: "90 days"},
	{file: "soc2-type1.txt", kind: KindSOC2Type1, status: DocOK, org: "Quillstone Labs, LLC", auditor: "Fenwick Rowe LLP",
		asOf: "2025-09-30", reportDate: "2025-11-03", opinion: OpinionUnqualified, categories: []string{CategorySecurity, CategoryPrivacy}, ai: AIInScope, training: TrainingOptIn},
	{file: "soc3.txt", kind: KindSOC3, status: DocOK, org: "Tessellate Data Corp.", auditor: "Merriweather Assurance LLP",
		start: "2024-10-01", end: "2025-09-30", reportDate: "2025-12-05", opinion: OpinionUnqualified,
		categories: []string{CategorySecurity, CategoryAvailability, CategoryProcessingIntegrity}, ai: AINotMentioned},
	{file: "soc1-type2.txt", kind: KindSOC1, status: DocOK, org: "Ledgerline Payroll Inc.", auditor: "Carrow & Pike LLP",
		start: "2024-07-01", end: "2025-06-30", reportDate: "2025-08-20", opinion: OpinionUnqualified, exceptions: []string{"3.2"}, untested: []string{}, ai: AINotMentioned},
	{file: "soc2-type2-adverse.txt", kind: KindSOC2Type2, status: DocOK, org: "Pellucid Health Analytics, Inc.", auditor: "Oakhurst Partners LLP",
		start: "2025-02-01", end: "2026-01-31", reportDate: "2026-03-27", opinion: OpinionAdverse,
		categories: []string{CategorySecurity, CategoryConfidentiality, CategoryPrivacy}, exceptions: []string{"CC6.2", "CC6.3"}, untested: []string{}, ai: AINotMentioned},
	{file: "soc2-type2-disclaimer.txt", kind: KindSOC2Type2, status: DocOK, org: "Driftwood Retrieval Co.", auditor: "Juniper Vance CPAs",
		start: "2025-03-01", end: "2025-08-31", reportDate: "2025-10-02", opinion: OpinionDisclaimer,
		categories: []string{CategorySecurity}, exceptions: []string{}, untested: []string{"CC7.2", "CC8.1"}, ai: AINotMentioned},
	{file: "soc2-type2-inclusive.txt", kind: KindSOC2Type2, status: DocOK, org: "Harbor Vector Systems Inc.", auditor: "Stonebridge & Amsel LLP",
		start: "2025-01-01", end: "2025-12-31", reportDate: "2025-11-30", opinion: OpinionUnqualified,
		categories: []string{CategorySecurity, CategoryAvailability, CategoryProcessingIntegrity, CategoryConfidentiality},
		exceptions: []string{}, untested: []string{}, ai: AICarvedOut, method: MethodInclusive, subservice: 1},
	{file: "soc2-type2-aicpa-layout.txt", kind: KindSOC2Type2, status: DocOK, org: "ORBITAL LEDGER, INC.", auditor: "Kestrel Brandt, P.C.",
		start: "2024-10-01", end: "2025-09-30", reportDate: "2025-11-14", opinion: OpinionUnqualified,
		categories: []string{CategorySecurity, CategoryAvailability, CategoryProcessingIntegrity, CategoryConfidentiality},
		exceptions: []string{"CC6.1-02"}, untested: []string{"CC7.4-01"}, ai: AINone, method: MethodCarveOut, subservice: 2, cuecs: 3},
	{file: "bridge-letter.txt", kind: KindBridgeLetter, status: DocOK, org: "Nimbus Inference, Inc."},
	{file: "bridge-letter-vague.txt", kind: KindBridgeLetter, status: DocOK, org: "Acme Copilot Ltd"},
	{file: "pentest-summary.txt", kind: KindPenTest, status: DocOK, org: "Nimbus Inference, Inc."},
	{file: "data-flow.md", kind: KindDataFlow, status: DocOK},
	{file: "policy-index.md", kind: KindPolicyIndex, status: DocOK},
	{file: "dpa.txt", kind: KindDPA, status: DocOK, training: TrainingOptIn, retention: "zero"},
	{file: "soc2-german.txt", kind: KindOther, status: DocUnsupportedLanguage},
}

func readFixture(t testing.TB, name string) DocumentResult {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	res, err := analyzeDocument(context.Background(), &Reader{PDFToText: "-"}, Input{Name: name, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func controlIDs(es []Exception) []string {
	ids := []string{}
	for _, e := range es {
		ids = append(ids, e.ControlID)
	}
	return ids
}

func TestFixtures(t *testing.T) {
	for _, w := range fixtureWants {
		t.Run(w.file, func(t *testing.T) {
			got := readFixture(t, w.file)
			if got.Kind != w.kind || got.Status != w.status {
				t.Fatalf("kind %s status %s (%s), want %s %s", got.Kind, got.Status, got.Problem, w.kind, w.status)
			}
			x := got.Fields
			if x == nil {
				if w.status == DocOK {
					t.Fatal("no fields extracted")
				}
				return
			}
			eq := func(name, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			eq("service organization", fieldValue(x.ServiceOrganization), w.org)
			eq("service auditor", fieldValue(x.ServiceAuditor), w.auditor)
			eq("period start", fieldValue(x.PeriodStart), w.start)
			eq("period end", fieldValue(x.PeriodEnd), w.end)
			eq("as of", fieldValue(x.AsOf), w.asOf)
			eq("report date", fieldValue(x.ReportDate), w.reportDate)
			eq("opinion", fieldValue(x.Opinion), w.opinion)
			eq("training", fieldValue(x.Commitments.Training), w.training)
			eq("retention", fieldValue(x.Commitments.Retention), w.retention)
			eq("subservice method", fieldValue(x.SubserviceMethod), w.method)
			if cats := values(x.Categories); !slices.Equal(cats, w.categories) && !(len(cats) == 0 && len(w.categories) == 0) {
				t.Errorf("categories = %v, want %v", cats, w.categories)
			}
			if w.exceptions != nil && !slices.Equal(controlIDs(x.Exceptions), w.exceptions) {
				t.Errorf("exceptions = %v, want %v", controlIDs(x.Exceptions), w.exceptions)
			}
			if w.untested != nil && !slices.Equal(controlIDs(x.Untested), w.untested) {
				t.Errorf("untested = %v, want %v", controlIDs(x.Untested), w.untested)
			}
			if w.ai != "" && (x.AI == nil || x.AI.Status != w.ai) {
				t.Errorf("AI scope = %+v, want %s", x.AI, w.ai)
			}
			if len(x.Subservice) != w.subservice {
				t.Errorf("subservice = %+v, want %d", x.Subservice, w.subservice)
			}
			if len(x.CUECs) != w.cuecs {
				t.Errorf("CUECs = %d, want %d", len(x.CUECs), w.cuecs)
			}
			for _, e := range append(x.Exceptions, x.Untested...) {
				if e.Page == 0 || e.Quote == "" || e.Description == "" {
					t.Errorf("exception without citation: %+v", e)
				}
			}
		})
	}
}

func TestFixtureDetails(t *testing.T) {
	t.Run("bridge letter", func(t *testing.T) {
		b := readFixture(t, "bridge-letter.txt").Fields.Bridge
		got := []string{fieldValue(b.LetterDate), fieldValue(b.ReportPeriodEnd), fieldValue(b.GapFrom), fieldValue(b.GapTo), fieldValue(b.NoMaterialChanges), fieldValue(b.Qualifier)}
		want := []string{"2025-10-15", "2025-03-31", "2025-04-01", "2025-09-30", "yes", ""}
		if !slices.Equal(got, want) {
			t.Errorf("bridge = %v, want %v", got, want)
		}
	})
	t.Run("vague bridge letter", func(t *testing.T) {
		b := readFixture(t, "bridge-letter-vague.txt").Fields.Bridge
		got := []string{fieldValue(b.LetterDate), fieldValue(b.GapFrom), fieldValue(b.GapTo), fieldValue(b.Qualifier)}
		want := []string{"2025-12-01", "2025-07-01", "2025-12-01", "except for"}
		if !slices.Equal(got, want) {
			t.Errorf("bridge = %v, want %v", got, want)
		}
	})
	t.Run("pen test", func(t *testing.T) {
		p := readFixture(t, "pentest-summary.txt").Fields.PenTest
		if fieldValue(p.Date) != "2025-06-20" || fieldValue(p.Tester) != "Redline Security LLC" || fieldValue(p.CoversAI) != "yes" || p.OpenCritical != 0 || p.OpenHigh != 1 {
			t.Errorf("pen test = date %s tester %s ai %s critical %d high %d", fieldValue(p.Date), fieldValue(p.Tester), fieldValue(p.CoversAI), p.OpenCritical, p.OpenHigh)
		}
	})
	t.Run("data flow", func(t *testing.T) {
		for _, topic := range readFixture(t, "data-flow.md").Fields.DataFlow {
			if !topic.Covered || topic.Evidence == nil || topic.Evidence.Page != 1 {
				t.Errorf("topic %+v not covered with evidence", topic)
			}
		}
	})
	t.Run("policy index", func(t *testing.T) {
		var missing []string
		for _, topic := range readFixture(t, "policy-index.md").Fields.Policies {
			if !topic.Covered {
				missing = append(missing, topic.Topic)
			}
		}
		if !slices.Equal(missing, []string{"model governance"}) {
			t.Errorf("missing policies = %v, want [model governance]", missing)
		}
	})
	t.Run("repeat finding", func(t *testing.T) {
		x := readFixture(t, "soc2-type2-qualified-ai-carveout.txt").Fields
		if !x.Exceptions[0].Repeat || x.Exceptions[1].Repeat {
			t.Errorf("repeat flags = %v %v, want true false", x.Exceptions[0].Repeat, x.Exceptions[1].Repeat)
		}
	})
	t.Run("table layout", func(t *testing.T) {
		x := readFixture(t, "soc2-type2-aicpa-layout.txt").Fields
		if got := x.Exceptions[0].Criteria; !slices.Equal(got, []string{"CC6.1"}) {
			t.Errorf("criteria = %v, want [CC6.1]", got)
		}
		if !strings.Contains(x.Exceptions[0].Description, "1 of 12 administrators") {
			t.Errorf("description = %q", x.Exceptions[0].Description)
		}
		if got := x.CUECs[2].Value; got != "User entities are responsible for notifying Orbital of unauthorized use of their accounts." {
			t.Errorf("wrapped CUEC = %q", got)
		}
		if names := []string{x.Subservice[0].Name, x.Subservice[1].Name}; !slices.Equal(names, []string{"Google Cloud Platform", "Northwind Vault Co"}) {
			t.Errorf("subservice = %v", names)
		}
	})
	t.Run("processing integrity mention", func(t *testing.T) {
		if readFixture(t, "soc2-type2-ai-in-scope.txt").Fields.ProcessingIntegrity == nil {
			t.Error("processing integrity not found")
		}
		if readFixture(t, "soc2-type2-adverse.txt").Fields.ProcessingIntegrity != nil {
			t.Error("processing integrity found where it is absent")
		}
	})
}

// TestFixturesGolden compares the full result of each fixture with its
// golden file; run "go test -run Golden -update" after intended changes.
func TestFixturesGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fixtures", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			res := readFixture(t, name)
			got, err := json.MarshalIndent(res, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(name, filepath.Ext(name))+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v; run go test -run Golden -update", err)
			}
			if !bytes.Equal(bytes.TrimSpace(want), bytes.TrimSpace(got)) {
				t.Errorf("result differs from %s; rerun with -update if the change is intended\n%s", golden, got)
			}
		})
	}
}
