package controls_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/store/sqlite"
	"golang.org/x/mod/sumdb/note"
)

// clock is a settable time source shared by the engine and the fixtures.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a real SQLite store, ledger and engine.
type env struct {
	t      *testing.T
	st     *sqlite.Store
	log    *ledger.Log
	signer *ledger.Signer
	vkey   string
	clock  *clock
	eng    *controls.Engine
	keys   *access.Service
}

var admin = access.Principal{ID: "local", Kind: "cli", Tenant: "default", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}

func newEnv(t *testing.T, settings controls.Settings) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	l, err := ledger.Open(context.Background(), st, ledger.Options{Now: c.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	skey, vkey, err := note.GenerateKey(rand.Reader, "test.example/attest")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	e := &env{t: t, st: st, log: l, signer: ledger.NewSigner(l, s), vkey: vkey, clock: c, keys: access.NewService(st, l)}
	e.eng, err = controls.New(controls.Deps{Ledger: st, Log: l, Store: st, Keys: st, VerifierKey: vkey, Settings: settings, Now: c.Now,
		Components: controls.StaticComponents{{Kind: controls.KindProvider, Name: "openai"}}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// add appends events stamped at the current clock.
func (e *env) add(typ, tenant string, actor ledger.Actor, body map[string]any, subjects ...ledger.Ref) uint64 {
	e.t.Helper()
	var b any
	if body != nil {
		b = body
	}
	ev := ledger.MustEvent(typ, tenant, actor, b, subjects...)
	ev.Time = e.clock.Now()
	idx, err := e.log.Append(context.Background(), ev)
	if err != nil {
		e.t.Fatal(err)
	}
	return idx
}

func (e *env) evaluate() *controls.RunResult {
	e.t.Helper()
	run, err := e.eng.Evaluate(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return run
}

func status(t *testing.T, run *controls.RunResult, id string) controls.ControlResult {
	t.Helper()
	r, ok := run.Result(id)
	if !ok {
		t.Fatalf("run has no result for %s", id)
	}
	return r
}

var (
	alice = ledger.Actor{Kind: ledger.ActorHuman, ID: "user:alice"}
	bob   = ledger.Actor{Kind: ledger.ActorHuman, ID: "user:bob"}
	gw    = ledger.Actor{Kind: ledger.ActorService, ID: "gateway"}
)

func TestEvaluateRecordsEveryControl(t *testing.T) {
	e := newEnv(t, controls.Settings{})
	ctx := context.Background()
	if _, _, err := e.keys.CreateKey(ctx, admin, access.KeyRequest{Tenant: "acme", Name: "app", Role: access.RoleConsumer, Limits: access.Limits{RPM: 10}}); err != nil {
		t.Fatal(err)
	}
	e.add("inference.request", "acme", gw, map[string]any{"key_id": "k", "retention": "zero"})
	e.add("inference.response", "acme", gw, map[string]any{"key_id": "k", "status": 200, "provider": "openai"})
	before := e.log.Size()
	run := e.evaluate()
	cat := e.eng.Catalog()
	if len(run.Controls) != len(cat.Controls) {
		t.Fatalf("%d results for %d controls", len(run.Controls), len(cat.Controls))
	}
	if got := e.log.Size() - before; got != uint64(len(cat.Controls)) {
		t.Fatalf("%d control.evaluated events appended, want %d", got, len(cat.Controls))
	}
	if r := status(t, run, "AI-PRV-01"); r.Status != controls.Pass {
		t.Fatalf("zero retention: %s %s", r.Status, r.Reason)
	}
	if r := status(t, run, "AI-SEC-03"); r.Status != controls.Pass || r.Checks[0].Population != 1 {
		t.Fatalf("limits: %+v", r)
	}
	if r := status(t, run, "AI-VEN-01"); r.Status != controls.Fail || r.Checks[0].Failing[0].ID != "openai" {
		t.Fatalf("vendor review: %+v", r)
	}
	if r := status(t, run, "ORG-01"); r.Status != controls.NoEvidence {
		t.Fatalf("manual control without attestation: %+v", r)
	}
	// The recorded event carries the result, with links to evidence.
	r := status(t, run, "AI-PRV-01")
	got, err := ledger.StoreReader{Store: e.st}.Entry(ctx, r.Index)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Control string
		Status  controls.Status
		Checks  []controls.Result
	}
	json.Unmarshal(got.Event.Body, &body)
	if got.Event.Type != controls.EventEvaluated || body.Control != "AI-PRV-01" || body.Status != controls.Pass || body.Checks[0].Population != 2 {
		t.Fatalf("recorded event %s %+v", got.Event.Type, body)
	}
	if got.Event.Subjects[0] != (ledger.Ref{Kind: "control", ID: "AI-PRV-01"}) {
		t.Fatalf("subjects %v", got.Event.Subjects)
	}
	last, err := e.eng.LastRun(ctx)
	if err != nil || last.ID != run.ID {
		t.Fatalf("last run %v %v", last, err)
	}
}

func TestEvaluateIsIncremental(t *testing.T) {
	e := newEnv(t, controls.Settings{})
	ctx := context.Background()
	mv := ledger.Ref{Kind: "model_version", ID: "fraud@3"}
	e.add("model.signed", "acme", alice, map[string]any{"root_digest": "sha256:aa"}, mv)
	e.add("change.requested", "acme", alice, nil, ledger.Ref{Kind: "change", ID: "c1"}, mv)
	e.add("deploy.alias_moved", "acme", gw, map[string]any{"model": "fraud", "alias": "production"}, mv)
	run := e.evaluate()
	if r := status(t, run, "AI-MOD-04"); r.Status != controls.Fail {
		t.Fatalf("unapproved deployment: %+v", r)
	}
	f, err := e.eng.Facts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f.Cursors["model.signed"] != f.Size || f.Size == 0 {
		t.Fatalf("cursor %d, size %d", f.Cursors["model.signed"], f.Size)
	}
	// The approval arrives later; only the new entries are read.
	e.clock.Advance(time.Hour)
	e.add("change.approved", "acme", bob, nil, ledger.Ref{Kind: "change", ID: "c1"})
	run = e.evaluate()
	r := status(t, run, "AI-MOD-04")
	if r.Checks[0].Status != controls.Pass {
		t.Fatalf("after approval: %+v", r.Checks[0])
	}
}

func TestAttestation(t *testing.T) {
	e := newEnv(t, controls.Settings{})
	ctx := context.Background()
	ref, err := e.eng.Attest(ctx, alice, controls.AttestRequest{Control: "ORG-07", EvidenceName: "scan-2026-01.pdf", Evidence: []byte("%PDF scan")})
	if err != nil {
		t.Fatal(err)
	}
	if ref.Expires.Sub(e.clock.Now()) != 35*controls.Day {
		t.Fatalf("expiry %v", ref.Expires)
	}
	ev, err := e.st.Evidence(ctx, ref.Evidence)
	if err != nil || string(ev.Data) != "%PDF scan" {
		t.Fatalf("stored evidence: %v", err)
	}
	if r := status(t, e.evaluate(), "ORG-07"); r.Status != controls.Pass || r.Attestation.Index != ref.Index {
		t.Fatalf("attested control: %+v", r)
	}
	e.clock.Advance(36 * controls.Day)
	if r := status(t, e.evaluate(), "ORG-07"); r.Status != controls.Stale {
		t.Fatalf("expired attestation: %+v", r)
	}
	for _, c := range []struct {
		name string
		req  controls.AttestRequest
	}{
		{"unknown control", controls.AttestRequest{Control: "NOPE-1", EvidenceName: "a.pdf", Evidence: []byte("x")}},
		{"automated control", controls.AttestRequest{Control: "AI-SEC-03", EvidenceName: "a.pdf", Evidence: []byte("x")}},
		{"no evidence", controls.AttestRequest{Control: "ORG-07", EvidenceName: "a.pdf"}},
		{"bad name", controls.AttestRequest{Control: "ORG-07", EvidenceName: "../etc/passwd", Evidence: []byte("x")}},
		{"past expiry", controls.AttestRequest{Control: "ORG-07", EvidenceName: "a.pdf", Evidence: []byte("x"), Expires: e.clock.Now().Add(-time.Hour)}},
	} {
		if _, err := e.eng.Attest(ctx, alice, c.req); !errors.Is(err, controls.ErrInvalidAttestation) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if _, err := e.eng.Attest(ctx, alice, controls.AttestRequest{Control: "AI-SEC-03", Kind: controls.AttestRemediation, EvidenceName: "fix.txt", Evidence: []byte("limits set")}); err != nil {
		t.Fatalf("remediation record for an automated control: %v", err)
	}
}

func TestHistoryAndPOAM(t *testing.T) {
	e := newEnv(t, controls.Settings{})
	ctx := context.Background()
	start := e.clock.Now()
	if _, _, err := e.keys.CreateKey(ctx, admin, access.KeyRequest{Tenant: "acme", Name: "app", Role: access.RoleConsumer}); err != nil {
		t.Fatal(err)
	}
	// Three hourly runs fail (no limits), then limits are set and it passes.
	for i := 0; i < 3; i++ {
		e.evaluate()
		e.clock.Advance(time.Hour)
	}
	ks, _ := e.st.Keys(ctx, "acme")
	k := ks[0]
	k.Limits.RPM = 100
	e.st.UpdateKey(ctx, k)
	if _, err := e.eng.Attest(ctx, bob, controls.AttestRequest{Control: "AI-SEC-03", Kind: controls.AttestRemediation, EvidenceName: "ticket.txt", Evidence: []byte("set rpm")}); err != nil {
		t.Fatal(err)
	}
	fixed := e.clock.Now()
	e.evaluate()
	e.clock.Advance(time.Hour)
	e.evaluate()
	hist, err := controls.History(ctx, e.st, e.eng.Catalog(), start, e.clock.Now().Add(time.Second), e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	var h controls.ControlHistory
	for _, x := range hist {
		if x.Control == "AI-SEC-03" {
			h = x
		}
	}
	if h.Evaluations != 5 || h.Passing != 2 || h.Operated || len(h.Exceptions) != 1 {
		t.Fatalf("history %+v", h)
	}
	ex := h.Exceptions[0]
	if ex.Open || !ex.Start.Equal(start) || !ex.End.Equal(fixed) || ex.Duration != 3*time.Hour || ex.Remediation == nil || len(ex.Remediation.Attestations) != 1 {
		t.Fatalf("exception %+v", ex)
	}
	poam := controls.POAM(e.eng.Catalog(), hist, e.clock.Now())
	for _, it := range poam {
		if it.Control == "AI-SEC-03" {
			t.Fatalf("a closed exception is in the POA&M: %+v", it)
		}
		if it.Owner == "" || it.Due.IsZero() {
			t.Fatalf("POA&M item without owner or due date: %+v", it)
		}
	}
	if len(poam) == 0 {
		t.Fatal("failing controls must leave open POA&M items")
	}
	rd, err := e.eng.Readiness(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !rd.Type2.WindowStart.Equal(start) || rd.Type2.Exceptions == 0 || rd.Gap.Passing == 0 || rd.Type1.CriteriaCovered != 61 {
		t.Fatalf("readiness %+v", rd)
	}
}

func TestComponentsAndDescription(t *testing.T) {
	e := newEnv(t, controls.Settings{})
	ctx := context.Background()
	e.add("dataset.registered", "acme", alice, map[string]any{"name": "claims-2025"}, ledger.Ref{Kind: "dataset", ID: "claims-2025"})
	if _, err := e.eng.AddComponent(ctx, "user:alice", controls.Component{Name: "crm export", Kind: "spreadsheet", Stage: controls.StageIngestion}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.AddComponent(ctx, "user:alice", controls.Component{Name: "x", Kind: "db", Stage: controls.StageStorage, Controls: []string{"NOPE-1"}}); err == nil {
		t.Fatal("linking an unknown control must fail")
	}
	d, err := e.eng.Description(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, g := range d.Stages {
		for _, c := range g.Components {
			found[c.ID] = true
			if c.ID == "spreadsheet:crm export" && (!c.Uncovered || c.Source != "user") {
				t.Fatalf("user component without controls must be flagged: %+v", c)
			}
			if c.ID == "dataset:claims-2025" && (c.Uncovered || g.Stage != controls.StageIngestion) {
				t.Fatalf("discovered dataset: %+v in %s", c, g.Stage)
			}
		}
	}
	for _, id := range []string{"provider:openai", "dataset:claims-2025", "spreadsheet:crm export", "gateway:attest gateway"} {
		if !found[id] {
			t.Fatalf("component %s is missing from the description", id)
		}
	}
	if len(d.Uncovered) != 1 || d.Uncovered[0] != "spreadsheet:crm export" {
		t.Fatalf("uncovered %v", d.Uncovered)
	}
	if err := e.eng.RemoveComponent(ctx, "spreadsheet:crm export"); err != nil {
		t.Fatal(err)
	}
}
