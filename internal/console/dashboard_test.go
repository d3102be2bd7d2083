package console

import (
	"context"
	"crypto/rand"
	"net/http"
	"testing"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/mod/sumdb/note"
)

func TestWitnessCount(t *testing.T) {
	lskey, lvkey, _ := note.GenerateKey(rand.Reader, "log.example")
	wskey, wvkey, _ := note.GenerateKey(rand.Reader, "witness.example")
	_, otherV, _ := note.GenerateKey(rand.Reader, "other.example")
	ls, _ := note.NewSigner(lskey)
	ws, _ := note.NewSigner(wskey)
	text := "log.example\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	plain, _ := note.Sign(&note.Note{Text: text}, ls)
	cosigned, _ := note.Sign(&note.Note{Text: text}, ls, ws)
	for _, tc := range []struct {
		name      string
		msg       []byte
		witnesses []string
		want      int
	}{
		{"no witness configured", cosigned, nil, 0},
		{"not cosigned", plain, []string{wvkey}, 0},
		{"cosigned", cosigned, []string{wvkey}, 1},
		{"cosigned by someone else", cosigned, []string{otherV}, 0},
		{"bad witness key", cosigned, []string{"garbage", wvkey}, 1},
		{"forged log signature", []byte(text + "\n— log.example AAAA\n"), []string{wvkey}, 0},
	} {
		if got := witnessCount(tc.msg, lvkey, tc.witnesses); got != tc.want {
			t.Errorf("%s: %d cosignatures, want %d", tc.name, got, tc.want)
		}
	}
}

func TestDashboardLedgerHealth(t *testing.T) {
	wskey, wvkey, _ := note.GenerateKey(rand.Reader, "witness.example")
	e := newTestEnv(t, func(d *Deps) { d.Witnesses = []string{wvkey} })
	b := e.browser()
	b.login("ann", e.user("ann", access.RoleAuditor))
	_, body := b.get("/")
	mustContain(t, body, "none yet", `<span class="badge bad">no</span>`)

	// A checkpoint cosigned by the witness shows as witnessed.
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
	ws, _ := note.NewSigner(wskey)
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
	mustContain(t, body, `<span class="badge ok">yes</span> 1 cosignature(s)`)
}

func mustVerifier(t *testing.T, vkey string) note.Verifier {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
