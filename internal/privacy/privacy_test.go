package privacy_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/privacy"
	"github.com/attest-ai/attest/internal/store/sqlite"
	"github.com/attest-ai/attest/internal/vault"
)

type fixture struct {
	dir string
	st  *sqlite.Store
	log *ledger.Log
	v   *vault.Vault
	p   *privacy.Service
}

type index map[string][]privacy.Reference

func (ix index) ReferencesTo(_ context.Context, tenant, subject string) ([]privacy.Reference, error) {
	return ix[tenant+"/"+subject], nil
}

func setup(t *testing.T, ix privacy.DatasetIndex) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
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
	w, err := vault.LoadMasterKeys(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(ctx, st, w, l)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{dir: dir, st: st, log: l, v: v, p: privacy.New(v, st, st, l, ix)}
}

var dpo = ledger.Actor{Kind: ledger.ActorHuman, ID: "dpo"}

func TestRetentionDeletesExactlyWhatExpired(t *testing.T) {
	ctx := context.Background()
	f := setup(t, nil)
	seal := func(tenant, class string, ttl time.Duration) string {
		s, err := f.v.Seal(ctx, tenant, "sub_x", []byte("body"), vault.SealOptions{Kind: "prompt", Class: class, TTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		return s.Ref
	}
	keepA := seal("a", "internal", 0)
	expiresNow := seal("a", "internal", time.Nanosecond)
	keepB := seal("b", "restricted", 0)
	time.Sleep(2 * time.Millisecond)
	// A policy for a's internal data with a maximum age already passed for
	// payloads created an hour "ago": move the clock forward instead.
	if _, err := f.p.SetPolicy(ctx, dpo, privacy.Policy{Tenant: "b", Class: "restricted", MaxAge: time.Hour}); err != nil {
		t.Fatal(err)
	}
	r, err := f.p.RunRetention(ctx, dpo, "manual")
	if err != nil || r.Status != "ok" {
		t.Fatalf("run: %+v %v", r, err)
	}
	if _, _, err := f.v.Open(ctx, expiresNow); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("expired payload survived: %v", err)
	}
	for _, ref := range []string{keepA, keepB} {
		if _, _, err := f.v.Open(ctx, ref); err != nil {
			t.Fatalf("unexpired payload %s deleted: %v", ref, err)
		}
	}
	// Two hours later b's restricted payload is past the policy's age; a's
	// internal payload has no policy and stays.
	later := privacy.SetupClock(f.p, 2*time.Hour)
	defer later()
	r, err = f.p.RunRetention(ctx, dpo, "manual")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.v.Open(ctx, keepB); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("policy did not delete b's old payload: %v", err)
	}
	if _, _, err := f.v.Open(ctx, keepA); err != nil {
		t.Fatalf("a's payload deleted without a policy: %v", err)
	}
	es, _ := f.st.QueryLedger(ctx, ledger.Query{Type: "retention.run", Limit: 10})
	if len(es) != 2 {
		t.Fatalf("retention runs recorded: %d", len(es))
	}
	if !bytes.Contains(es[1].Data, []byte(`"deleted":1`)) {
		t.Fatalf("deletion evidence missing counts: %s", es[1].Data)
	}
}

func TestConsentTakesEffectImmediately(t *testing.T) {
	ctx := context.Background()
	f := setup(t, nil)
	sub := f.p.Pseudonym("acme", "user-1")
	if ok, _ := f.p.Allowed(ctx, "acme", sub, privacy.PurposeAI); !ok {
		t.Fatal("no record must mean allowed")
	}
	if _, err := f.p.RecordConsent(ctx, "acme", dpo, "user-1", privacy.PurposeAI, false, "settings-page"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.p.Allowed(ctx, "acme", sub, privacy.PurposeAI); ok {
		t.Fatal("opt-out not in effect on the next check")
	}
	if ok, _ := f.p.Allowed(ctx, "acme", sub, privacy.PurposeTraining); !ok {
		t.Fatal("opt-out leaked to another purpose")
	}
	if ok, _ := f.p.Allowed(ctx, "other", f.p.Pseudonym("other", "user-1"), privacy.PurposeAI); !ok {
		t.Fatal("opt-out leaked to another tenant")
	}
	if _, err := f.p.RecordConsent(ctx, "acme", dpo, "user-1", "marketing", false, ""); err == nil {
		t.Fatal("unknown purpose accepted")
	}
}

func TestErasureIsCompleteAndLedgerVerifies(t *testing.T) {
	ctx := context.Background()
	canary := "CANARY-ERASE-9c1f"
	ix := index{}
	f := setup(t, ix)
	sub := f.p.Pseudonym("acme", "alice@example.com")
	ix["acme/"+sub] = []privacy.Reference{{Kind: "dataset", ID: "support-tickets@3"}}
	for i := 0; i < 20; i++ {
		if _, err := f.v.Seal(ctx, "acme", sub, []byte(canary+" prompt"), vault.SealOptions{Kind: "prompt", Class: "confidential"}); err != nil {
			t.Fatal(err)
		}
	}
	req, err := f.p.Open(ctx, "acme", dpo, "alice@example.com", "erasure", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.v.PlaceHold(ctx, "acme", sub, "matter-1", dpo); err != nil {
		t.Fatal(err)
	}
	if _, err := f.p.Erase(ctx, "acme", dpo, "alice@example.com", req.ID); !errors.Is(err, vault.ErrHeld) {
		t.Fatalf("erasure under hold: %v", err)
	}
	if r, _ := f.p.Get(ctx, "acme", req.ID); r.Status != "blocked" {
		t.Fatalf("held request status %q", r.Status)
	}
	f.v.ReleaseHold(ctx, "acme", sub, dpo)
	done, err := f.p.Erase(ctx, "acme", dpo, "alice@example.com", req.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != "completed" || done.Receipt == nil || done.Receipt.PayloadsDeleted != 20 || len(done.Remediation) != 1 {
		t.Fatalf("erasure result: %+v", done)
	}
	f.log.Close()
	f.st.Close()
	// Nothing of the canary is left in any file: databases, WAL, journals.
	filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte(canary)) || bytes.Contains(b, []byte("alice@example.com")) {
			t.Errorf("%s still holds the subject's data", filepath.Base(p))
		}
		return nil
	})
	st, _ := sqlite.Open(ctx, f.dir, sqlite.Options{})
	defer st.Close()
	if _, err := ledger.Verify(ctx, ledger.StoreSource{Store: st}, "", nil); err != nil {
		t.Fatalf("ledger does not verify after erasure: %v", err)
	}
}

func TestAccessExport(t *testing.T) {
	ctx := context.Background()
	f := setup(t, index{})
	sub := f.p.Pseudonym("acme", "bob")
	f.v.Seal(ctx, "acme", sub, []byte("bob's question"), vault.SealOptions{Kind: "prompt"})
	f.p.RecordConsent(ctx, "acme", dpo, "bob", privacy.PurposeTraining, false, "form")
	req, _ := f.p.Open(ctx, "acme", dpo, "bob", "access", 0)
	out, err := f.p.Export(ctx, "acme", dpo, "bob", req.ID, ledger.StoreReader{Store: f.st})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Payloads) != 1 || out.Payloads[0].Content != "bob's question" || len(out.Consents) != 1 || len(out.Events) < 2 {
		t.Fatalf("export: %+v", out)
	}
	if r, _ := f.p.Get(ctx, "acme", req.ID); r.Status != "completed" || r.Overdue(time.Now()) {
		t.Fatalf("request after export: %+v", r)
	}
}

func TestClassificationAndRegions(t *testing.T) {
	ctx := context.Background()
	f := setup(t, nil)
	if c, _ := f.p.ClassOf(ctx, "acme", "dataset", "unlabelled"); c != privacy.Confidential {
		t.Fatalf("unlabelled default %s", c)
	}
	if _, err := f.p.Classify(ctx, "acme", dpo, "dataset", "tickets", privacy.Restricted); err != nil {
		t.Fatal(err)
	}
	if _, err := f.p.Classify(ctx, "acme", dpo, "dataset", "tickets", "secret"); err == nil {
		t.Fatal("unknown class accepted")
	}
	eu := privacy.Destination{Name: "azure-eu", Region: "eu-west", MaxClass: privacy.Restricted}
	us := privacy.Destination{Name: "openai", Region: "us", MaxClass: privacy.Confidential}
	if d, _ := f.p.Check(ctx, "acme", privacy.Restricted, us); d.Allowed {
		t.Fatal("restricted data allowed to a confidential-only provider")
	}
	f.p.SetRegions(ctx, dpo, privacy.TenantRegions{Tenant: "acme", Allowed: []string{"eu-west"}})
	if d, _ := f.p.Check(ctx, "acme", privacy.Internal, us); d.Allowed {
		t.Fatal("region restriction ignored")
	}
	if d, _ := f.p.Check(ctx, "acme", privacy.Restricted, eu); !d.Allowed {
		t.Fatalf("allowed route refused: %s", d.Reason)
	}
	flows, _ := f.p.DataFlows(ctx, []string{"acme", "other"}, []privacy.Destination{eu, us})
	if len(flows[0].Providers) != 1 || len(flows[1].Providers) != 2 {
		t.Fatalf("flows: %+v", flows)
	}
}
