package registry_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/monitor"
	"github.com/attest-ai/attest/internal/privacy"
	"github.com/attest-ai/attest/internal/registry"
	"github.com/attest-ai/attest/internal/registry/signing"
	"github.com/attest-ai/attest/internal/store/sqlite"
)

var (
	alice = ledger.Actor{Kind: ledger.ActorHuman, ID: "key:alice"} // engineer
	bob   = ledger.Actor{Kind: ledger.ActorHuman, ID: "key:bob"}   // approver
	carol = ledger.Actor{Kind: ledger.ActorHuman, ID: "key:carol"} // approver
	robot = ledger.Actor{Kind: ledger.ActorAgent, ID: "key:robot"}
	ci    = ledger.Actor{Kind: ledger.ActorService, ID: "key:ci"}
)

const tenant = "acme"

// fakePrivacy pseudonymizes with a plain hash and keeps opt-outs in a map.
type fakePrivacy struct {
	mu       sync.Mutex
	optedOut map[string]bool
}

func (p *fakePrivacy) Pseudonym(tenant, subject string) string {
	sum := sha256.Sum256([]byte(tenant + "\x00" + subject))
	return "sub_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16]))
}

func (p *fakePrivacy) Allowed(ctx context.Context, tenant, subject string, purpose privacy.Purpose) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.optedOut[subject+":"+string(purpose)], nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	t       testing.TB
	ctx     context.Context
	st      *sqlite.Store
	log     *ledger.Log
	cps     *ledger.Signer
	vkey    string
	svc     *registry.Service
	priv    *fakePrivacy
	clock   *clock
	key     *ecdsa.PrivateKey
	pubPEM  []byte
	trusted bool
	people  *people // who stands behind each actor; empty: each is their own
}

// newFixture opens a real SQLite store and ledger in a temporary
// directory, as the server does.
func newFixture(t testing.TB, pol registry.Policy) *fixture {
	t.Helper()
	return openFixture(t, t.TempDir(), pol)
}

func openFixture(t testing.TB, dir string, pol registry.Policy) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l, err := ledger.Open(ctx, st, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	// The data directory's own key, so a benchmark on a copied ledger
	// keeps one checkpoint signer.
	kp, err := ledger.LoadOrCreateKey(dir, "test.example/attest")
	if err != nil {
		t.Fatal(err)
	}
	vkey := kp.VerifierKey
	priv, pub, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := signing.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, st: st, log: l, cps: ledger.NewSigner(l, kp.Signer), vkey: vkey,
		priv: &fakePrivacy{optedOut: map[string]bool{}}, clock: &clock{t: time.Date(2025, 10, 1, 9, 0, 0, 0, time.UTC)},
		key: key, pubPEM: pub, people: &people{of: map[string]string{}}}
	f.svc = registry.New(registry.Deps{
		Log: l, Reader: ledger.StoreReader{Store: st}, Proofs: l, Checkpoints: f.cps, Records: st,
		Signer: kp.Signer, VerifierKey: vkey, Privacy: f.priv, People: f.people, Policy: pol, Now: f.clock.now,
	})
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// model registers a model once.
func (f *fixture) model(name string, risk registry.Risk) {
	f.t.Helper()
	if _, err := f.svc.Model(f.ctx, tenant, name); err == nil {
		return
	}
	_, err := f.svc.RegisterModel(f.ctx, tenant, alice, registry.ModelSpec{
		Name: name, Purpose: "route support tickets", Owner: "ml-team", Risk: risk,
		DataSources: []string{"support tickets 2025"}, IntendedUse: "internal triage", Limitations: []string{"English only"},
	})
	f.must(err)
}

// writeModel writes a small model directory and returns its path.
func writeModel(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "model")
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sign signs a model directory with the fixture's key.
func (f *fixture) sign(dir string) *signing.Signature {
	f.t.Helper()
	s, err := signing.NewSigner(f.key)
	f.must(err)
	sig, err := s.Sign(f.ctx, dir, signing.HashOptions{})
	f.must(err)
	return sig
}

func (f *fixture) trust() {
	f.t.Helper()
	if f.trusted {
		return
	}
	_, err := f.svc.TrustKey(f.ctx, tenant, alice, "release-key", f.pubPEM)
	f.must(err)
	f.trusted = true
}

// signedVersion registers model@version with files unique to it, signed
// by the trusted key, and returns the model directory.
func (f *fixture) signedVersion(model, version string) string {
	f.t.Helper()
	f.model(model, registry.RiskLimited)
	f.trust()
	dir := writeModel(f.t, map[string]string{"weights.bin": "weights of " + model + "@" + version, "config.json": `{"layers":2}`})
	sig := f.sign(dir)
	_, err := f.svc.RegisterVersion(f.ctx, tenant, alice, model, registry.VersionSpec{Version: version, Bundle: sig.Bundle})
	f.must(err)
	return dir
}

// verified records a successful verification at load.
func (f *fixture) verified(id, dir string) {
	f.t.Helper()
	_, err := f.svc.VerifyFiles(f.ctx, tenant, ci, id, dir, signing.VerifyOptions{})
	f.must(err)
}

var validation = []byte(`{"id":"1","input":"refund please","expected":"billing"}
{"id":"2","input":"app crashes","expected":"bug"}
{"id":"3","input":"invoice wrong","expected":"billing"}
{"id":"4","input":"cannot log in","expected":"access"}
`)

func validationDigest() string {
	sum := sha256.Sum256(validation)
	return "sha256:" + strings.ToLower(hexString(sum[:]))
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func f64(v float64) *float64 { return &v }

// suite registers an accuracy suite for the model: at least minAcc, at
// most margin worse than production.
func (f *fixture) suite(name, model string, minAcc, margin float64) {
	f.t.Helper()
	_, err := f.svc.RegisterSuite(f.ctx, tenant, alice, registry.SuiteSpec{
		Name: name, Model: model, Task: "classification", ValidationDigest: validationDigest(), Examples: 4,
		Metrics: []string{monitor.Accuracy, monitor.F1Macro},
		Gate:    monitor.Gate{Rules: []monitor.Rule{{Metric: monitor.Accuracy, Min: f64(minAcc)}}},
		Margin:  f64(margin),
	})
	f.must(err)
}

// eval records a result with the given accuracy.
func (f *fixture) eval(suite, id string, acc float64) registry.EvalResult {
	f.t.Helper()
	r, err := f.svc.RecordEval(f.ctx, tenant, ci, suite, registry.ResultSpec{
		ModelVersion: id, Metrics: map[string]float64{monitor.Accuracy: acc, monitor.F1Macro: acc},
		Examples: 4, PredictionsSHA256: strings.Repeat("ab", 32), ValidationDigest: validationDigest(),
	})
	f.must(err)
	return r
}

var change = registry.ChangeSpec{Description: "promote the retrained classifier", RollbackPlan: "attest model rollback support --alias production"}

// promote requests a change and has it approved by bob (and carol when
// the policy needs two).
func (f *fixture) promote(model, version, alias string) registry.Change {
	f.t.Helper()
	spec := change
	spec.Target = registry.Target{Kind: registry.KindModel, Name: model, Version: version, Alias: alias}
	c, err := f.svc.RequestChange(f.ctx, tenant, alice, spec)
	f.must(err)
	for _, who := range []ledger.Actor{bob, carol} {
		if c.Status != registry.StatusPending {
			break
		}
		c, err = f.svc.Approve(f.ctx, tenant, who, c.ID, "looks good")
		f.must(err)
	}
	if c.Status != registry.StatusApplied {
		f.t.Fatalf("change %s is %s after approvals", c.ID, c.Status)
	}
	return c
}

func wantErr(t testing.TB, err, target error, contains string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error (%v) containing %q, got nil", target, contains)
	}
	if target != nil && !errors.Is(err, target) {
		t.Fatalf("want %v, got %v", target, err)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Fatalf("error %q does not say %q", err, contains)
	}
}

// events returns the entries of a type about a subject.
func (f *fixture) events(typ string, ref ledger.Ref) []ledger.Entry {
	f.t.Helper()
	es, err := ledger.StoreReader{Store: f.st}.Query(f.ctx, ledger.Query{Type: typ, Subject: &ref})
	f.must(err)
	return es
}

func requestIn(t testing.TB, f *fixture) registry.Change {
	t.Helper()
	spec := change
	spec.Target = registry.Target{Name: "support", Version: "1", Alias: registry.AliasStaging}
	c, err := f.svc.RequestChange(f.ctx, tenant, alice, spec)
	f.must(err)
	return c
}

func jsonOf(v any) ([]byte, error) { return json.Marshal(v) }
