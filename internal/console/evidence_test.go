package console

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

func appendN(t *testing.T, e *testEnv, typ, tenant string, n int) []uint64 {
	t.Helper()
	var out []uint64
	for i := range n {
		idx, err := e.log.Append(context.Background(), ledger.MustEvent(typ, tenant, ledger.Actor{Kind: ledger.ActorService, ID: "test"},
			map[string]any{"n": i}, ledger.Ref{Kind: "thing", ID: fmt.Sprint(i)}))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, idx)
	}
	return out
}

func TestVerifyEvidence(t *testing.T) {
	e := newTestEnv(t, nil)
	idx := appendN(t, e, "test.thing", "default", 300)
	if _, err := e.signer.Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	late := appendN(t, e, "test.thing", "default", 1)[0]
	b := e.browser()
	b.login("ann", e.user("ann", access.RoleAuditor))

	for _, i := range []uint64{idx[0], idx[137], idx[299]} {
		resp, body := b.get(fmt.Sprintf("/evidence/%d/verify", i))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("verify %d: %d", i, resp.StatusCode)
		}
		mustContain(t, body, fmt.Sprintf("Verified: entry %d is included in the ledger of size 300", i), `class="verify ok"`, "Inclusion proof:", "test.example/attest")
	}
	_, body := b.get(fmt.Sprintf("/evidence/%d/verify", late))
	mustContain(t, body, "newer than the newest signed checkpoint")
	mustNotContain(t, body, "Verified:")
}

// tamperStore changes stored entry bytes, as an attacker with write access
// to the database would.
type tamperStore struct {
	Store
	index uint64
}

func (s tamperStore) LedgerEntries(ctx context.Context, start uint64, n int) ([]ledger.RawEntry, error) {
	es, err := s.Store.LedgerEntries(ctx, start, n)
	for i := range es {
		if es[i].Index == s.index {
			es[i].Data = bytes.Replace(es[i].Data, []byte(`"n":5`), []byte(`"n":6`), 1)
		}
	}
	return es, err
}

func TestVerifyDetectsTampering(t *testing.T) {
	e := newTestEnv(t, func(d *Deps) { d.Store = tamperStore{Store: d.Store, index: 5} })
	appendN(t, e, "test.thing", "default", 10)
	if _, err := e.signer.Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("ann", e.user("ann", access.RoleAuditor))
	_, body := b.get("/evidence/5/verify")
	mustContain(t, body, "Verification FAILED", "does not hash to the claimed leaf hash", `class="verify bad"`)
	_, body = b.get("/evidence/4/verify")
	mustContain(t, body, "Verified: entry 4")
}

func TestEvidenceIsTenantScoped(t *testing.T) {
	e := newTestEnv(t, nil)
	other := appendN(t, e, "test.thing", "acme", 1)[0]
	own := appendN(t, e, "test.thing", "default", 1)[0]
	e.signer.Publish(context.Background())
	eng := e.browser()
	eng.login("eve", e.user("eve", access.RoleEngineer))
	if resp, _ := eng.get(fmt.Sprintf("/evidence/%d", other)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("an engineer of tenant default read tenant acme's entry: %d", resp.StatusCode)
	}
	if resp, _ := eng.get(fmt.Sprintf("/evidence/%d/verify", other)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("verify of another tenant's entry: %d", resp.StatusCode)
	}
	_, body := eng.get("/evidence")
	mustContain(t, body, fmt.Sprintf(`href="/evidence/%d"`, own))
	mustNotContain(t, body, fmt.Sprintf(`href="/evidence/%d"`, other))

	aud := e.browser()
	aud.login("ann", e.user("ann", access.RoleAuditor))
	if resp, _ := aud.get(fmt.Sprintf("/evidence/%d", other)); resp.StatusCode != http.StatusOK {
		t.Fatalf("the auditor reads every tenant: %d", resp.StatusCode)
	}
}

func TestExplorerPaging(t *testing.T) {
	e := newTestEnv(t, nil)
	appendN(t, e, "test.a", "default", 70)
	appendN(t, e, "test.b", "default", 60)
	b := e.browser()
	b.login("ann", e.user("ann", access.RoleAuditor))
	size := e.log.Size()

	// Newest first, by index range.
	_, body := b.get("/evidence")
	mustContain(t, body, fmt.Sprintf(`href="/evidence/%d"`, size-1), fmt.Sprintf("?before=%d", size-explorerPage))
	mustNotContain(t, body, fmt.Sprintf(`href="/evidence/%d"`, size-explorerPage-1))
	_, body = b.get(fmt.Sprintf("/evidence?before=%d", size-explorerPage))
	mustContain(t, body, fmt.Sprintf(`href="/evidence/%d"`, size-explorerPage-1), "Newer")

	// Filtered, in ledger order with a keyset cursor.
	_, body = b.get("/evidence?type=test.b")
	if n := strings.Count(body, "<td>test.b</td>"); n != explorerPage {
		t.Fatalf("first page has %d test.b rows", n)
	}
	mustNotContain(t, body, "<td>test.a</td>")
	mustContain(t, body, "after=")

	_, body = b.get("/evidence?subject_kind=thing")
	mustContain(t, body, "needs both a kind and an id")
	_, body = b.get("/evidence?from=yesterday")
	mustContain(t, body, "Dates must look like")
}

// TestEvidenceFromAnotherReplica has a second log on the same store append
// and publish, as another replica would: this console still lists and
// verifies those entries, though its own process appended none of them.
func TestEvidenceFromAnotherReplica(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	// Sign in first: that appends through this console's own log, which
	// would catch it up.
	b := e.browser()
	b.login("ann", e.user("ann", access.RoleAuditor))
	other, err := ledger.Open(ctx, e.st, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for i := range 40 {
		if _, err := other.Append(ctx, ledger.MustEvent("test.thing", "default", ledger.Actor{Kind: ledger.ActorService, ID: "replica-b"}, map[string]any{"n": i})); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ledger.NewSigner(other, e.signerKey).Publish(ctx); err != nil {
		t.Fatal(err)
	}
	last := other.Size() - 1
	_, body := b.get("/evidence")
	mustContain(t, body, fmt.Sprintf("/evidence/%d", last))
	_, body = b.get(fmt.Sprintf("/evidence/%d/verify", last))
	mustContain(t, body, fmt.Sprintf("Verified: entry %d", last))
}

// TestEvidenceNamesKeys checks that an entry written with an API key says
// which key by its name, not only its id.
func TestEvidenceNamesKeys(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	admin := access.Principal{ID: "t", Kind: "test", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}
	_, k, err := e.access.CreateKey(ctx, admin, access.KeyRequest{Tenant: "default", Name: "billing-app", Role: access.RoleConsumer})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.log.Append(ctx, ledger.MustEvent("test.thing", "default", ledger.Actor{Kind: ledger.ActorService, ID: "key:" + k.ID}, map[string]any{"n": 1})); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("ann", e.user("ann", access.RoleAuditor))
	_, body := b.get("/evidence")
	mustContain(t, body, "key:"+k.ID+" (billing-app)")
}
