package app

import (
	"testing"

	"github.com/attest-ai/attest/internal/registry"
	"github.com/attest-ai/attest/internal/vendor"
)

// TestConsoleWording checks the phrases the console builds from records:
// report kinds and changes read as a person would write them.
func TestConsoleWording(t *testing.T) {
	r := vendor.Review{AsOf: "2026-11-22", Coverage: vendor.Coverage{ReportKind: vendor.KindSOC2Type2, PeriodEnd: "2026-03-31", BridgeThrough: "2026-09-30"}}
	if got, want := period(r), "SOC 2 Type 2, ending 2026-03-31, bridged through 2026-09-30"; got != want {
		t.Errorf("period = %q, want %q", got, want)
	}
	if got, want := period(vendor.Review{AsOf: "2026-11-22"}), "as of 2026-11-22"; got != want {
		t.Errorf("period without a report = %q, want %q", got, want)
	}
	c := registry.Change{Target: registry.Target{Kind: "model", Name: "ticket-router", Version: "2", Alias: "staging", Percent: 10}}
	if got, want := changeTitle(c), "Point model ticket-router's staging alias at version 2 (10% of traffic)"; got != want {
		t.Errorf("changeTitle = %q, want %q", got, want)
	}
}
