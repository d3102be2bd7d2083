package controls

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tscIDs lists the 61 Trust Services Criteria identifiers.
func tscIDs() []string {
	var ids []string
	add := func(prefix string, n int) {
		for i := 1; i <= n; i++ {
			ids = append(ids, prefix+"."+string(rune('0'+i)))
		}
	}
	add("CC1", 5)
	add("CC2", 3)
	add("CC3", 4)
	add("CC4", 2)
	add("CC5", 3)
	add("CC6", 8)
	add("CC7", 5)
	add("CC8", 1)
	add("CC9", 2)
	add("A1", 3)
	add("C1", 2)
	add("PI1", 5)
	add("P1", 1)
	add("P2", 1)
	add("P3", 2)
	add("P4", 3)
	add("P5", 2)
	add("P6", 7)
	add("P7", 1)
	add("P8", 1)
	return ids
}

func TestBuiltinCatalog(t *testing.T) {
	cat, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ids := tscIDs()
	if len(ids) != 61 || len(cat.Criteria) != 61 {
		t.Fatalf("%d criteria in the catalog, %d expected ids; both must be 61", len(cat.Criteria), len(ids))
	}
	for i, id := range ids {
		cr, ok := cat.Criterion(id)
		if !ok {
			t.Errorf("criterion %s is missing", id)
			continue
		}
		if cat.Criteria[i].ID != id {
			t.Errorf("criterion %d is %s, want %s (keep them in order)", i, cat.Criteria[i].ID, id)
		}
		if cr.Title == "" || len(cr.Title) > 100 {
			t.Errorf("criterion %s needs a short title", id)
		}
		if len(cat.ControlsFor(id)) == 0 {
			t.Errorf("no control serves %s: Type 1 design would have a gap", id)
		}
	}
	if cat.Version == "" {
		t.Fatal("catalog has no version")
	}
}

// TestAIControls pins the AI-specific controls the catalog must keep,
// with the criteria the issue maps them to.
func TestAIControls(t *testing.T) {
	cat, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	must := map[string][]string{
		"AI-SEC-01": {"CC6.3"}, "AI-SEC-03": {"CC6.8"}, "AI-SEC-04": {"CC6.8"}, "AI-SEC-05": {"CC6.1"}, "AI-SEC-06": {"CC7.1"},
		"AI-MOD-01": {"CC8.1"}, "AI-MOD-02": {"PI1.1"}, "AI-MOD-03": {"PI1.3"}, "AI-MOD-04": {"CC8.1"}, "AI-MOD-05": {"PI1.4"},
		"AI-AVL-01": {"A1.2"}, "AI-PRV-01": {"C1.1"}, "AI-PRV-02": {"C1.1"}, "AI-PRV-03": {"P4.2"}, "AI-PRV-04": {"P5.1"},
		"AI-PRV-05": {"P2.1"}, "AI-VEN-01": {"CC9.2"}, "AI-LED-01": {"CC4.1"},
	}
	for id, crit := range must {
		k, ok := cat.Control(id)
		if !ok {
			t.Errorf("control %s is missing", id)
			continue
		}
		for _, c := range crit {
			if !strings.Contains(strings.Join(k.Criteria, " "), c) {
				t.Errorf("control %s must map to %s", id, c)
			}
		}
		if k.Owner == "" || k.Objective == "" || len(k.Evidence) == 0 || k.Frequency == "" {
			t.Errorf("control %s is missing its owner, objective, evidence or frequency", id)
		}
	}
	for _, k := range cat.Controls {
		if !k.Automated() && k.Attestation.Expiry.D <= 0 {
			t.Errorf("manual control %s has no evidence expiry", k.ID)
		}
	}
}

func TestUserControls(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("acme.yaml", `version: "acme-1"
controls:
  - id: ACME-SEC-01
    title: Laptops are encrypted
    family: security
    objective: Every staff laptop has full-disk encryption.
    criteria: [CC6.1, CC6.7]
    owner: it-lead
    frequency: quarterly
    evidence: [control.attested]
    attestation: {instructions: Upload the MDM report., expiry: 95d}
  - id: ORG-08
    title: Physical security is our own data centre
    family: organization
    objective: Badge access to the server room is reviewed.
    criteria: [CC6.4]
    owner: facilities
    frequency: quarterly
    evidence: [control.attested]
    attestation: {instructions: Upload the badge review., expiry: 95d}
`)
	cat, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	k, ok := cat.Control("ACME-SEC-01")
	if !ok || k.Source != "acme.yaml" || k.Attestation.Expiry.D != 95*Day {
		t.Fatalf("user control not loaded: %+v", k)
	}
	if o, _ := cat.Control("ORG-08"); o.Owner != "facilities" {
		t.Fatalf("user control did not replace the built-in one: %+v", o)
	}
	if !strings.Contains(cat.Version, "acme.yaml@acme-1") {
		t.Fatalf("catalog version %q does not name the user file", cat.Version)
	}
}

func TestUserControlsRejected(t *testing.T) {
	base := `version: "1"
controls:
  - id: ACME-X-01
    title: T
    family: security
    objective: O
    criteria: [CC6.1]
    owner: me
    frequency: daily
    evidence: [a.b]
`
	cases := []struct{ name, body, want string }{
		{"no checks or attestation", base, "needs automated checks or an attestation"},
		{"unknown check", base + "    checks: [no_such_check]\n", "does not exist"},
		{"unknown criterion", strings.Replace(base, "CC6.1", "CC6.9", 1) + "    checks: [keys_have_limits]\n", "not in the criteria list"},
		{"malformed criterion", strings.Replace(base, "CC6.1", "SEC-1", 1) + "    checks: [keys_have_limits]\n", "not a Trust Services Criterion"},
		{"bad frequency", strings.Replace(base, "daily", "hourly", 1) + "    checks: [keys_have_limits]\n", "frequency"},
		{"bad id", strings.Replace(base, "ACME-X-01", "acme x", 1) + "    checks: [keys_have_limits]\n", "control id"},
		{"unknown field", base + "    checks: [keys_have_limits]\n    colour: red\n", "colour"},
		{"no expiry", base + "    attestation: {instructions: x}\n", "expiry"},
		{"bad expiry", base + "    attestation: {instructions: x, expiry: soon}\n", "duration"},
		{"no version", strings.Replace(base, `version: "1"`, "", 1), "version"},
		{"not yaml", "controls: [", "parse YAML"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "x.yaml"), []byte(c.body), 0o644)
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("a missing directory must be an error")
	}
}

func FuzzParseControls(f *testing.F) {
	b, _ := builtin.ReadFile("catalog/controls.yaml")
	f.Add(b)
	f.Add([]byte("version: x\ncontrols: [{id: A-B, attestation: {expiry: 1d}}]"))
	f.Add([]byte("controls: &a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		kf, err := ParseControls(data)
		if err != nil {
			return
		}
		for _, c := range kf.Controls {
			if err := c.validateShape(); err != nil {
				t.Fatalf("accepted control fails validation: %v", err)
			}
		}
	})
}

// TestEveryCheckIsUsed keeps checks and catalog in step: a check no control
// uses is dead code.
func TestEveryCheckIsUsed(t *testing.T) {
	cat, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, k := range cat.Controls {
		for _, c := range k.Checks {
			used[c] = true
		}
	}
	for _, c := range Checks() {
		if !used[c.Name] {
			t.Errorf("check %s is used by no built-in control", c.Name)
		}
	}
}
