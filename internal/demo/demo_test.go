package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/demo"
	"github.com/attest-ai/attest/internal/ledger"
)

func TestDemoSeedsOnceAndVerifies(t *testing.T) {
	ctx := context.Background()
	c := config.Default()
	c.DataDir = t.TempDir()
	// The log and the summary share one terminal, as with attest serve.
	term := &syncBuffer{}
	a, err := app.Open(ctx, c, app.NewLogger(c, term))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var out bytes.Buffer
	if err := demo.Run(ctx, a.DemoDeps(), io.MultiWriter(&out, term)); err != nil {
		t.Fatalf("seed: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "15 requests through the gateway") {
		t.Fatalf("the demo's gateway traffic did not all pass:\n%s", out.String())
	}
	if got := term.String(); !strings.Contains(got, out.String()) || !strings.Contains(got, "msg=request") {
		t.Fatalf("the summary must reach the terminal in one piece, with the request log complete around it:\n%s", got)
	}
	// The README's quick start: the demo consumer key, the demo model, a
	// named end user.
	token := regexp.MustCompile(`quick start: (atk_\S+)`).FindStringSubmatch(out.String())
	if token == nil {
		t.Fatalf("no consumer key printed:\n%s", out.String())
	}
	r := httptest.NewRequestWithContext(ctx, "POST", "/v1/chat/completions",
		strings.NewReader(`{"model":"demo","messages":[{"role":"user","content":"hello"}],"user":"customer-1"}`))
	r.Header.Set("Authorization", "Bearer "+token[1])
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	a.Web.ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "hello") {
		t.Fatalf("README quick start: %d %s", w.Code, w.Body.String())
	}
	// The gateway defers the answer's inference.response entry to the next
	// group commit; let it land before the ledger is measured and verified.
	for deadline := time.Now().Add(5 * time.Second); a.Log.Pending() > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	size := a.Log.Size()
	if size < 15 {
		t.Fatalf("demo produced only %d entries", size)
	}
	out.Reset()
	if err := demo.Run(ctx, a.DemoDeps(), &out); err != nil || !strings.Contains(out.String(), "already seeded") {
		t.Fatalf("second run: %v %s", err, out.String())
	}
	if a.Log.Size() != size {
		t.Fatal("second run added evidence")
	}
	if _, err := ledger.Verify(ctx, ledger.StoreSource{Store: a.Store}, a.VKey, nil); err != nil {
		t.Fatalf("demo ledger does not verify: %v", err)
	}
	rs, _ := a.Privacy.Requests(ctx, demo.Tenant)
	if len(rs) != 2 {
		t.Fatalf("demo requests: %d", len(rs))
	}
}

// demoExceptions are the controls the demo leaves not passing, each with
// its status and words its results must carry; every other control
// passes. AI-SEC-05 is not applicable rather than failing: the only
// provider is the secretless demo model, so there is nothing to rotate.
var demoExceptions = map[string]struct {
	status controls.Status
	reason string
}{
	"AI-SEC-05": {controls.NotApplicable, "no provider in scope holds a credential: every provider is secretless (demo)"},
	"AI-LED-01": {controls.NoEvidence, "no witness is configured"},
	"ORG-11":    {controls.NoEvidence, "no attestation has been uploaded"},
}

// minPassing is the fewest controls the demo must leave passing.
const minPassing = 40

// TestDemoControlPicture checks that the demo shows attest in use and
// mostly healthy: the large majority of controls pass, and exactly the
// deliberate exceptions do not, for their stated reasons, both in the
// demo's own summary and in the readiness the server reports after its
// first scheduled evaluation.
func TestDemoControlPicture(t *testing.T) {
	ctx := context.Background()
	c := config.Default()
	c.DataDir = t.TempDir()
	a, err := app.Open(ctx, c, app.NewLogger(c, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var out bytes.Buffer
	if err := demo.Run(ctx, a.DemoDeps(), &out); err != nil {
		t.Fatalf("seed: %v\n%s", err, out.String())
	}
	summary := fmt.Sprintf("evaluated %d controls: %d passing, %d not passing, 1 not applicable", len(a.Controls.Catalog().Controls),
		len(a.Controls.Catalog().Controls)-len(demoExceptions), len(demoExceptions)-1)
	if !strings.Contains(out.String(), summary) {
		t.Errorf("the demo does not say %q:\n%s", summary, out.String())
	}
	for id, want := range demoExceptions {
		if !regexp.MustCompile(`(?m)^ +` + id + ` +` + string(want.status) + ` +\S`).MatchString(out.String()) {
			t.Errorf("the demo's summary does not explain %s (%s):\n%s", id, want.status, out.String())
		}
	}

	// The server evaluates again as soon as it starts; the picture holds.
	run, err := a.Controls.Evaluate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pass := 0
	for _, cr := range run.Controls {
		want, exception := demoExceptions[cr.Control]
		switch {
		case !exception && cr.Status == controls.Pass:
			pass++
		case !exception:
			t.Errorf("%s is %s, not passing: %s", cr.Control, cr.Status, cr.Reason)
		case cr.Status != want.status:
			t.Errorf("%s is %s, want the deliberate %s: %s", cr.Control, cr.Status, want.status, cr.Reason)
		case !strings.Contains(explain(cr), want.reason):
			t.Errorf("%s fails for another reason than %q:\n%s", cr.Control, want.reason, explain(cr))
		}
	}
	if pass < minPassing {
		t.Errorf("%d controls pass; the demo should leave at least %d passing", pass, minPassing)
	}

	r := httptest.NewRequestWithContext(ctx, "GET", "/api/v1/controls/readiness?tenant=demo", nil)
	r.Header.Set("Authorization", "Bearer "+a.AdminToken)
	w := httptest.NewRecorder()
	a.Web.ServeHTTP(w, r)
	var rd controls.Readiness
	if err := json.Unmarshal(w.Body.Bytes(), &rd); w.Code != 200 || err != nil {
		t.Fatalf("readiness: %d %v %s", w.Code, err, w.Body.String())
	}
	g := rd.Gap
	if g.Passing != pass || len(g.Failing) != 0 || !slices.Equal(g.NoEvidence, []string{"AI-LED-01", "ORG-11"}) ||
		!slices.Equal(g.NotApplicable, []string{"AI-SEC-05"}) || len(g.Stale) != 0 || len(g.NotEvaluated) != 0 {
		t.Errorf("readiness gap: %+v", g)
	}
}

// explain is a control result's reason with those of its failing items.
func explain(cr controls.ControlResult) string {
	lines := []string{cr.Reason}
	for _, ch := range cr.Checks {
		for _, it := range ch.Failing {
			lines = append(lines, it.Kind+" "+it.ID+": "+it.Reason)
		}
	}
	return strings.Join(lines, "\n")
}

// TestDemoRefusesAnInstanceInUse checks that the demo never seeds a data
// directory that already held evidence before this start: its synthetic
// attestations would count in that instance's controls.
func TestDemoRefusesAnInstanceInUse(t *testing.T) {
	ctx := context.Background()
	c := config.Default()
	c.DataDir = t.TempDir()
	a, err := app.Open(ctx, c, app.NewLogger(c, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	a, err = app.Open(ctx, c, app.NewLogger(c, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	size := a.Log.Size()
	var out bytes.Buffer
	if err := demo.Run(ctx, a.DemoDeps(), &out); !errors.Is(err, demo.ErrNotFresh) {
		t.Fatalf("seeding an instance in use: got %v, want ErrNotFresh", err)
	}
	if a.Log.Size() != size {
		t.Fatal("the refused demo wrote evidence")
	}
}

// syncBuffer is a bytes.Buffer that the log's goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
