package signing

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

func TestSignedAndVerifiedEvents(t *testing.T) {
	key := newKey(t)
	s, _ := NewSigner(key)
	dir := writeModel(t, map[string]string{"a": "a", "b": "b"})
	sig := signModel(t, dir, s, HashOptions{})
	actor := ledger.Actor{Kind: ledger.ActorHuman, ID: "alice"}
	ref := ledger.Ref{Kind: "model_version", ID: "demo@1"}

	e, err := SignedEvent("acme", actor, sig, ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Canonical(time.Now()); err != nil {
		t.Fatalf("model.signed event is not valid: %v", err)
	}
	var body SignedBody
	json.Unmarshal(e.Body, &body)
	if e.Type != EventSigned || body.RootDigest != "sha256:"+sig.RootDigest || body.Signature == "" || body.Resources != 2 || body.BundleSHA256 != digestHex(sig.Bundle) {
		t.Fatalf("event %s body %+v", e.Type, body)
	}

	v, verr := Verify(context.Background(), dir, sig.Bundle, VerifyOptions{PublicKey: &key.PublicKey})
	e, err = VerifiedEvent("acme", actor, sig.Bundle, v, verr, ref)
	if err != nil {
		t.Fatal(err)
	}
	var vb VerifiedBody
	json.Unmarshal(e.Body, &vb)
	if !vb.Verified || vb.RootDigest != body.RootDigest || vb.Reason != "" {
		t.Fatalf("verified body %+v", vb)
	}

	os.WriteFile(filepath.Join(dir, "a"), []byte("changed"), 0o644)
	v, verr = Verify(context.Background(), dir, sig.Bundle, VerifyOptions{PublicKey: &key.PublicKey})
	e, _ = VerifiedEvent("acme", actor, sig.Bundle, v, verr, ref)
	vb = VerifiedBody{}
	json.Unmarshal(e.Body, &vb)
	if vb.Verified || vb.Reason != "mismatch" || len(vb.Modified) != 1 || vb.Modified[0] != "a" {
		t.Fatalf("failed verification body %+v", vb)
	}

	for err, reason := range map[error]string{
		ErrBadSignature:            "bad_signature",
		ErrMalformedBundle:         "malformed",
		errors.New("disk on fire"): "error",
	} {
		e, _ := VerifiedEvent("acme", actor, sig.Bundle, nil, err)
		vb = VerifiedBody{}
		json.Unmarshal(e.Body, &vb)
		if vb.Reason != reason {
			t.Errorf("%v: reason %q, want %q", err, vb.Reason, reason)
		}
	}
}
