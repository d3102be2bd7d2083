package console

import (
	"testing"

	"github.com/attest-ai/attest/internal/access"
)

// TestStatusTone checks that not applicable is drawn neutral: it is not a
// failure, and it is not a pass either.
func TestStatusTone(t *testing.T) {
	for status, want := range map[string]string{
		"pass": "ok", "stale": "warn", "fail": "bad", "no_evidence": "bad", "not_applicable": "none", "something_new": "bad",
	} {
		if got := statusTone(status); got != want {
			t.Errorf("statusTone(%q) = %q, want %q", status, got, want)
		}
	}
}

// TestNotApplicableControls checks how a not applicable control shows:
// a neutral badge with its reason, its own filter, outside the failing
// filter and the failing list, and left out of the readiness share.
func TestNotApplicableControls(t *testing.T) {
	e, _ := worldEnv(t)
	b := e.browser()
	b.login("ann", e.user("ann", access.RoleAuditor))
	const (
		badge  = `<span class="badge none">not applicable</span>`
		reason = "every provider is secretless (demo)"
	)

	_, body := b.get("/controls")
	mustContain(t, body, badge, reason, `<option value="not_applicable">not applicable</option>`)

	_, body = b.get("/controls?status=not_applicable")
	mustContain(t, body, "CC6.7-credentials", badge, "1 of 5 controls.")
	mustNotContain(t, body, "CC8.1-changes", "CC6.1-keys")

	_, body = b.get("/controls?status=failing")
	mustContain(t, body, "CC8.1-changes", "P4.2-retention")
	mustNotContain(t, body, "CC6.7-credentials")

	_, body = b.get("/controls/CC6.7-credentials")
	mustContain(t, body, badge, reason, `id="not-applicable"`, "left out of readiness")
	_, body = b.get("/controls/CC8.1-changes")
	mustNotContain(t, body, `id="not-applicable"`)

	// Two of the four applicable controls pass: 50%, not 40%.
	_, body = b.get("/")
	mustContain(t, body, "50%", "2 of 4 applicable controls ready, 1 not applicable", `<a href="/controls?status=not_applicable">1 not applicable</a>`)
	mustNotContain(t, body, `<a href="/controls/CC6.7-credentials">`)
}
