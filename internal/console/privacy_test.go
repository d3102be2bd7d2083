package console

import (
	"context"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/privacy"
)

// TestRetentionPolicyInDays checks that a retention period reads as a
// person writes it, not as Go's 720h0m0s.
func TestRetentionPolicyInDays(t *testing.T) {
	e := newTestEnv(t, nil)
	if _, err := e.c.d.Privacy.SetPolicy(context.Background(), cliActor, privacy.Policy{Tenant: "default", MaxAge: 30 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("ann", e.user("ann", access.RoleAuditor))
	_, body := b.get("/privacy")
	mustContain(t, body, "all classes in default: kept 30 days")
	mustNotContain(t, body, "720h")
}

func TestFormatAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour:        "1 day",
		720 * time.Hour:       "30 days",
		time.Hour:             "1 hour",
		36 * time.Hour:        "36 hours",
		90 * time.Minute:      "1h30m0s",
		2555 * 24 * time.Hour: "2555 days",
	} {
		if got := formatAge(d); got != want {
			t.Errorf("formatAge(%v) = %q, want %q", d, got, want)
		}
	}
}
