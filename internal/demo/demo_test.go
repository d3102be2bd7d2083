package demo_test

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/demo"
	"github.com/attest-ai/attest/internal/ledger"
)

func TestDemoSeedsOnceAndVerifies(t *testing.T) {
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
	if !strings.Contains(out.String(), "12 requests through the gateway") {
		t.Fatalf("the demo's gateway traffic did not all pass:\n%s", out.String())
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
