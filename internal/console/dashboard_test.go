package console

import (
	"context"
	"net/http"
	"testing"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/witness"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

func TestDashboardLedgerHealth(t *testing.T) {
	wskey, wvkey, _ := witness.GenerateKey("witness.example")
	_, otherV, _ := witness.GenerateKey("other.example")
	for _, tc := range []struct {
		quorum int
		want   string
	}{
		{1, `<span class="badge ok">yes</span> 1 cosignature(s)`},
		// With a quorum of two, one cosignature is not enough.
		{2, `<span class="badge bad">no</span> <span class="muted">1 of 2 cosignature(s) required</span>`},
	} {
		e := newTestEnv(t, func(d *Deps) { d.Witnesses, d.WitnessQuorum = []string{wvkey, otherV}, tc.quorum })
		b := e.browser()
		b.login("ann", e.user("ann", access.RoleAuditor))
		_, body := b.get("/")
		mustContain(t, body, "none yet", `<span class="badge bad">no</span>`)

		// A checkpoint cosigned by the witness counts its cosignature.
		ctx := context.Background()
		appendN(t, e, "test.thing", "default", 1)
		size, root, _ := e.st.LedgerHead(ctx)
		signed, err := ledger.SignCheckpoint(e.signerKey, e.signer.Origin(), size, root)
		if err != nil {
			t.Fatal(err)
		}
		n, err := note.Open(signed, note.VerifierList(mustVerifier(t, e.vkey)))
		if err != nil {
			t.Fatal(err)
		}
		ws, _ := fnote.NewSignerForCosignatureV1(wskey)
		cosigned, err := note.Sign(n, ws)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.SaveCheckpoint(ctx, ledger.Checkpoint{Size: size, Root: root, Note: cosigned, Time: e.clock.t}); err != nil {
			t.Fatal(err)
		}
		resp, body := b.get("/")
		if resp.StatusCode != http.StatusOK {
			t.Fatal(resp.StatusCode)
		}
		mustContain(t, body, tc.want)
	}
}

func mustVerifier(t *testing.T, vkey string) note.Verifier {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
