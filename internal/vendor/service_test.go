package vendor

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// memLedger is an in-memory ledger.Appender that validates events the way
// the real ledger does.
type memLedger struct {
	mu     sync.Mutex
	events []ledger.Event
	fail   error
}

var _ ledger.Appender = (*memLedger)(nil)

func (l *memLedger) Append(_ context.Context, e ledger.Event) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return 0, l.fail
	}
	if _, err := e.Canonical(time.Now()); err != nil {
		return 0, err
	}
	l.events = append(l.events, e)
	return uint64(len(l.events) - 1), nil
}

func (l *memLedger) ofType(typ string) []ledger.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []ledger.Event
	for _, e := range l.events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

var testActor = ledger.Actor{Kind: ledger.ActorHuman, ID: "alice@example.com"}

func newTestService() (*Service, *memLedger) {
	l := &memLedger{}
	return &Service{
		Store:  NewMemStore(),
		Ledger: l,
		Reader: Reader{PDFToText: "-"},
		Now:    func() time.Time { return time.Date(2025, 11, 21, 9, 0, 0, 0, time.UTC) },
	}, l
}

func TestRegisterVendor(t *testing.T) {
	s, l := newTestService()
	ctx := context.Background()
	v, err := s.RegisterVendor(ctx, "acme", testActor, Vendor{Name: " Nimbus Inference ", Providers: []string{"OpenAI", "openai", "anthropic"}})
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != "Nimbus Inference" || strings.Join(v.Providers, ",") != "openai,anthropic" || !strings.HasPrefix(v.ID, "vnd_") {
		t.Errorf("vendor = %+v", v)
	}
	evs := l.ofType(EventRegistered)
	if len(evs) != 1 || evs[0].Tenant != "acme" || evs[0].Subjects[0] != (ledger.Ref{Kind: "vendor", ID: v.ID}) {
		t.Fatalf("events = %+v", evs)
	}
	if _, err := s.RegisterVendor(ctx, "acme", testActor, Vendor{Name: "nimbus inference"}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate name: %v", err)
	}
	if _, err := s.RegisterVendor(ctx, "other", testActor, Vendor{Name: "Nimbus Inference"}); err != nil {
		t.Errorf("same name in another tenant: %v", err)
	}
	for _, bad := range []Vendor{{Name: ""}, {Name: "x", Website: "ftp://x"}, {Name: "y", Providers: []string{"Open AI!"}}} {
		if _, err := s.RegisterVendor(ctx, "acme", testActor, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestServiceReview(t *testing.T) {
	s, l := newTestService()
	ctx := context.Background()
	v, err := s.RegisterVendor(ctx, "acme", testActor, Vendor{Name: "Nimbus", Providers: []string{"nimbus"}})
	if err != nil {
		t.Fatal(err)
	}
	inputs := fixtureInputs(t, "soc2-type2-ai-in-scope.txt", "bridge-letter.txt", "pentest-summary.txt")
	r, err := s.Review(ctx, "acme", testActor, v.ID, inputs, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if r.AsOf != "2025-11-21" || r.Vendor != "Nimbus" || r.LedgerIndex == nil || r.Verdict != VerdictEscalate {
		t.Errorf("review = as of %s vendor %s ledger %v verdict %s", r.AsOf, r.Vendor, r.LedgerIndex, r.Verdict)
	}
	evs := l.ofType(EventReviewed)
	if len(evs) != 1 {
		t.Fatalf("%d reviewed events", len(evs))
	}
	var body struct {
		ReviewID  string            `json:"review_id"`
		VendorID  string            `json:"vendor_id"`
		Verdict   string            `json:"verdict"`
		RedFlags  []string          `json:"red_flags"`
		Answers   map[string]string `json:"answers"`
		Documents []reviewedDoc     `json:"documents"`
	}
	if err := json.Unmarshal(evs[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.ReviewID != r.ID || body.VendorID != v.ID || body.Verdict != VerdictEscalate || len(body.Documents) != 3 || body.Answers[QAIInScope] != AnswerYes {
		t.Errorf("body = %+v", body)
	}
	for i, d := range body.Documents {
		if d.Digest != Digest(inputs[i].Data) || d.Kind != r.Documents[i].Kind {
			t.Errorf("document %d in event = %+v", i, d)
		}
	}
	if body.Documents[2].Kind != KindPenTest || len(body.Documents[2].RedFlags) == 0 {
		t.Errorf("pen test entry = %+v, want its red flag codes", body.Documents[2])
	}
	// The event carries no document text: no quotes, names or parties.
	for _, leak := range []string{"Larkspur", "soc2-type2-ai-in-scope", "inference API", "NIM-02", "quote"} {
		if strings.Contains(string(evs[0].Body), leak) {
			t.Errorf("event body leaks %q: %s", leak, evs[0].Body)
		}
	}
	stored, err := s.Store.Review(ctx, "acme", r.ID)
	if err != nil || stored.Verdict != r.Verdict || len(stored.Documents) != 3 {
		t.Fatalf("stored review: %v %+v", err, stored.Verdict)
	}
	docs, err := s.Store.Documents(ctx, "acme", v.ID)
	if err != nil || len(docs) != 3 {
		t.Fatalf("documents: %v %d", err, len(docs))
	}
	for _, d := range docs {
		if !strings.HasPrefix(d.Digest, "sha256:") || d.ReviewID != r.ID {
			t.Errorf("document record %+v", d)
		}
	}
	if _, err := s.Review(ctx, "acme", testActor, "vnd_missing", inputs, time.Time{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown vendor: %v", err)
	}
	if _, err := s.Review(ctx, "other", testActor, v.ID, inputs, time.Time{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("vendor of another tenant: %v", err)
	}
}

// TestServiceReviewFutureDate checks that a review cannot be dated ahead:
// the controls count a review as current for a year from its date, so a
// far-future date would keep a provider reviewed for good.
func TestServiceReviewFutureDate(t *testing.T) {
	s, l := newTestService()
	ctx := context.Background()
	v, _ := s.RegisterVendor(ctx, "acme", testActor, Vendor{Name: "Nimbus"})
	inputs := fixtureInputs(t, "soc3.txt")
	if _, err := s.Review(ctx, "acme", testActor, v.ID, inputs, date("2099-01-01")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a review dated 2099: %v", err)
	}
	if len(l.ofType(EventReviewed)) != 0 {
		t.Fatal("a refused review left evidence")
	}
	for _, d := range []string{"2025-11-21", "2025-06-30"} {
		if r, err := s.Review(ctx, "acme", testActor, v.ID, inputs, date(d)); err != nil || r.AsOf != d {
			t.Fatalf("a review dated %s: %v", d, err)
		}
	}
}

func TestServiceReviewLedgerFailure(t *testing.T) {
	s, l := newTestService()
	ctx := context.Background()
	v, _ := s.RegisterVendor(ctx, "acme", testActor, Vendor{Name: "Nimbus"})
	l.fail = errors.New("disk full")
	if _, err := s.Review(ctx, "acme", testActor, v.ID, fixtureInputs(t, "soc3.txt"), time.Time{}); err == nil {
		t.Fatal("review succeeded without its ledger event")
	}
	if rs, _ := s.Store.Reviews(ctx, "acme", v.ID); len(rs) != 0 {
		t.Errorf("%d reviews stored without a ledger event", len(rs))
	}
}

func TestCalendarAndAlerts(t *testing.T) {
	s, l := newTestService()
	ctx := context.Background()
	reviewed, _ := s.RegisterVendor(ctx, "acme", testActor, Vendor{Name: "Nimbus"})
	never, _ := s.RegisterVendor(ctx, "acme", testActor, Vendor{Name: "Zephyr"})
	if _, err := s.Review(ctx, "acme", testActor, reviewed.ID, fixtureInputs(t, "soc2-type2-ai-in-scope.txt", "bridge-letter.txt", "pentest-summary.txt"), date("2025-11-21")); err != nil {
		t.Fatal(err)
	}
	status := func(asOf string) map[string]string {
		entries, err := s.Calendar(ctx, "acme", date(asOf))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, e := range entries {
			m[e.Vendor+"/"+e.Kind] = e.Due + " " + e.Status
		}
		return m
	}
	tests := []struct {
		asOf string
		want map[string]string
	}{
		{"2025-11-21", map[string]string{
			"Nimbus/" + DueReportStale:  "2026-03-31 ok",
			"Nimbus/" + DueBridgeLetter: "2025-12-29 ok",
			"Nimbus/" + DuePenTest:      "2026-06-20 ok",
			"Zephyr/" + DueNoReview:     "2025-11-21 expired",
		}},
		{"2025-12-10", map[string]string{
			"Nimbus/" + DueReportStale:  "2026-03-31 ok",
			"Nimbus/" + DueBridgeLetter: "2025-12-29 due_soon",
			"Nimbus/" + DuePenTest:      "2026-06-20 ok",
			"Zephyr/" + DueNoReview:     "2025-11-21 expired",
		}},
		{"2026-03-31", map[string]string{
			"Nimbus/" + DueReportStale:  "2026-03-31 expired",
			"Nimbus/" + DueBridgeLetter: "2025-12-29 expired",
			"Nimbus/" + DuePenTest:      "2026-06-20 ok",
			"Zephyr/" + DueNoReview:     "2025-11-21 expired",
		}},
	}
	for _, tt := range tests {
		if got := status(tt.asOf); !mapsEqual(got, tt.want) {
			t.Errorf("calendar as of %s = %v, want %v", tt.asOf, got, tt.want)
		}
	}
	alerts, err := s.Alerts(ctx, "acme", testActor, date("2025-12-10"))
	if err != nil {
		t.Fatal(err)
	}
	evs := l.ofType(EventAlert)
	if len(alerts) != 2 || len(evs) != 2 {
		t.Fatalf("alerts %+v, events %d; want the bridge letter due soon and Zephyr never reviewed", alerts, len(evs))
	}
	if evs[0].Subjects[0].ID != never.ID && evs[1].Subjects[0].ID != never.ID {
		t.Errorf("no alert for the vendor never reviewed")
	}
}

func TestCheckProviders(t *testing.T) {
	s, _ := newTestService()
	ctx := context.Background()
	fresh, _ := s.RegisterVendor(ctx, "acme", testActor, Vendor{Name: "Nimbus", Providers: []string{"nimbus"}})
	s.RegisterVendor(ctx, "acme", testActor, Vendor{Name: "Unreviewed AI", Providers: []string{"anthropic"}})
	if _, err := s.Review(ctx, "acme", testActor, fresh.ID, fixtureInputs(t, "soc2-type2-ai-in-scope.txt"), date("2025-11-21")); err != nil {
		t.Fatal(err)
	}
	check := func(asOf string) map[string]bool {
		sts, err := s.CheckProviders(ctx, "acme", []string{"Nimbus", "anthropic", "openai"}, date(asOf))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for _, st := range sts {
			m[st.Provider] = st.Pass
			if st.Reason == "" {
				t.Errorf("%s: no reason", st.Provider)
			}
		}
		return m
	}
	if got := check("2025-11-21"); !got["nimbus"] || got["anthropic"] || got["openai"] {
		t.Errorf("providers = %v, want only nimbus passing", got)
	}
	if got := check("2026-04-01"); got["nimbus"] {
		t.Errorf("nimbus passes after its report went stale")
	}
}

func TestMemStoreCopies(t *testing.T) {
	m := NewMemStore()
	ctx := context.Background()
	v := Vendor{ID: "v1", Tenant: "t", Name: "A", Providers: []string{"openai"}}
	if err := m.CreateVendor(ctx, v); err != nil {
		t.Fatal(err)
	}
	v.Providers[0] = "changed"
	got, _ := m.Vendor(ctx, "t", "v1")
	if got.Providers[0] != "openai" {
		t.Error("store shares the caller's slice")
	}
	if err := m.UpdateVendor(ctx, Vendor{ID: "v2", Tenant: "t"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("update of missing vendor: %v", err)
	}
	if _, err := m.Review(ctx, "t", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing review: %v", err)
	}
	r := Review{ID: "r1", Tenant: "t", VendorID: "v1"}
	if err := m.AddReview(ctx, r, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.AddReview(ctx, r, nil); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate review: %v", err)
	}
}
