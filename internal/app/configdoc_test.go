package app

import (
	"os"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/config"
)

// TestConfigDocExample loads the example of docs/CONFIG.md as attest serve
// would, so the documented keys stay the real ones.
func TestConfigDocExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/CONFIG.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## Example\n")
	if !ok {
		t.Fatal("docs/CONFIG.md has no example")
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("the example is not a yaml block")
	}
	c := config.Default()
	if err := config.Parse([]byte(example), &c); err != nil {
		t.Fatalf("example: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("example: %v", err)
	}
	if len(c.Ledger.Witnesses) != 1 || c.Ledger.WitnessQuorum != 1 {
		t.Fatalf("example ledger witnesses decoded as %+v", c.Ledger)
	}
	g, err := gatewayConfig(c.Gateway)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Validate(); err != nil {
		t.Fatalf("example gateway section: %v", err)
	}
	if len(g.Providers) != 5 || len(g.Routes) != 3 || !g.Tracing || g.Retry.MaxAttempts != 3 {
		t.Fatalf("example decoded as %+v", g)
	}
}
