package web

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestReservedNamespace(t *testing.T) {
	for typ, want := range map[string]string{
		"control.evaluated":      "control",
		"model.verified":         "model",
		"access_review.decision": "access_review",
		"ledger.witnessed":       "ledger",
		"acme.backup_restored":   "",
		"controls.evaluated":     "", // a namespace of its own, not attest's
		"crash.test":             "",
		"control":                "",
	} {
		if got := reservedNamespace(typ); got != want {
			t.Errorf("reservedNamespace(%q) = %q, want %q", typ, got, want)
		}
	}
}

// TestEveryDocumentedTypeReserved keeps the list in step with the event
// catalogue: every type docs/EVENTS.md lists is attest's own.
func TestEveryDocumentedTypeReserved(t *testing.T) {
	b, err := os.ReadFile("../../docs/EVENTS.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(b), "| type | producer |")
	table, _, _ = strings.Cut(table, "\n\n")
	n := 0
	for _, m := range regexp.MustCompile("`([a-z_]+\\.[a-z_]+)`").FindAllStringSubmatch(table, -1) {
		n++
		if reservedNamespace(m[1]) == "" {
			t.Errorf("%s is in docs/EVENTS.md but the append endpoint would take it", m[1])
		}
	}
	if n < 50 {
		t.Fatalf("read %d types from the catalogue; has its table moved?", n)
	}
}
