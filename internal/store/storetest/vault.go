package storetest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/vault"
)

func newMaster(t *testing.T) string {
	k := make([]byte, 32)
	rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

func testVault(t *testing.T, st Store) {
	ctx := context.Background()
	l := openLog(t, st)
	m1 := newMaster(t)
	w, err := vault.ParseMasterKeys(m1)
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(ctx, st, w, l)
	if err != nil {
		t.Fatal(err)
	}
	alice := v.Pseudonym("acme", "alice@example.com")
	if alice.ID == "alice@example.com" || alice != v.Pseudonym("acme", "alice@example.com") || alice == v.Pseudonym("other", "alice@example.com") {
		t.Fatalf("pseudonyms must be stable per tenant and hide the raw id: %+v", alice)
	}
	bob := v.Pseudonym("acme", "bob")
	secret := []byte("CANARY-7f3a prompt text")
	sa, err := v.Seal(ctx, "acme", alice.ID, secret, vault.SealOptions{Kind: "prompt", Class: "confidential"})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := v.Seal(ctx, "acme", bob.ID, []byte("bob's prompt"), vault.SealOptions{Kind: "prompt", TTL: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, pt, err := v.Open(ctx, sa.Ref); err != nil || string(pt) != string(secret) {
		t.Fatalf("open: %q %v", pt, err)
	}
	if mac, _ := v.MAC(ctx, "acme", alice.ID, secret); mac != sa.MAC {
		t.Fatalf("MAC does not match the sealed commitment")
	}

	// Rotation keeps every payload readable and re-wraps every key.
	m2 := newMaster(t)
	w2, err := vault.ParseMasterKeys(m2 + "\n" + m1)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := vault.New(ctx, st, w2, l)
	if err != nil {
		t.Fatal(err)
	}
	n, err := v2.Rotate(ctx, w2.Current())
	if err != nil || n != 2 {
		t.Fatalf("rotate re-wrapped %d keys: %v", n, err)
	}
	onlyNew, _ := vault.ParseMasterKeys(m2)
	v3, err := vault.New(ctx, st, onlyNew, l)
	if err != nil {
		t.Fatalf("vault under only the new master key: %v", err)
	}
	if _, pt, err := v3.Open(ctx, sa.Ref); err != nil || string(pt) != string(secret) {
		t.Fatalf("payload unreadable after rotation: %v", err)
	}
	if v3.Pseudonym("acme", "alice@example.com") != alice {
		t.Fatal("pseudonyms changed across rotation")
	}

	// A legal hold blocks erasure and is recorded.
	actor := ledger.Actor{Kind: ledger.ActorHuman, ID: "dpo"}
	if err := v3.PlaceHold(ctx, "acme", alice.ID, "case 42", actor); err != nil {
		t.Fatal(err)
	}
	if _, err := v3.Erase(ctx, "acme", alice.ID, actor); !errors.Is(err, vault.ErrHeld) {
		t.Fatalf("erase under hold: %v", err)
	}
	if _, _, err := v3.Open(ctx, sa.Ref); err != nil {
		t.Fatalf("held payload must survive: %v", err)
	}
	if err := v3.ReleaseHold(ctx, "acme", alice.ID, actor); err != nil {
		t.Fatal(err)
	}
	r, err := v3.Erase(ctx, "acme", alice.ID, actor)
	if err != nil || !r.KeyDestroyed || r.PayloadsDeleted != 1 {
		t.Fatalf("erase: %+v %v", r, err)
	}
	if _, _, err := v3.Open(ctx, sa.Ref); err == nil {
		t.Fatal("erased payload still opens")
	}
	if _, _, err := v3.Open(ctx, sb.Ref); err != nil {
		t.Fatalf("another subject's payload was affected: %v", err)
	}
	// The erasure and holds are ledgered without personal data.
	es, err := st.QueryLedger(ctx, ledger.Query{Subject: &alice, Limit: 10})
	if err != nil || len(es) != 3 {
		t.Fatalf("subject events: %d %v", len(es), err)
	}
	for _, e := range es {
		if strings.Contains(string(e.Data), "alice") || strings.Contains(string(e.Data), "CANARY") {
			t.Fatalf("ledger entry leaks personal data: %s", e.Data)
		}
	}
	// Retention deletes exactly what expired.
	n, err = st.DeleteExpiredPayloads(ctx, "acme", "", time.Now())
	if err != nil || n != 1 {
		t.Fatalf("expired deleted %d: %v", n, err)
	}
	if _, _, err := v3.Open(ctx, sb.Ref); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("expired payload: %v", err)
	}
	if _, err := ledger.Verify(ctx, ledger.StoreSource{Store: st}, "", nil); err != nil {
		t.Fatalf("ledger does not verify after erasure: %v", err)
	}
}
