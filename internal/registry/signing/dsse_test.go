package signing

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"
)

func TestPAE(t *testing.T) {
	// The worked example of the DSSE protocol description.
	got := string(pae("http://example.com/HelloWorld", []byte("hello world")))
	want := "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
	if got != want {
		t.Fatalf("pae = %q, want %q", got, want)
	}
	if got := string(pae("", nil)); got != "DSSEv1 0  0 " {
		t.Fatalf("empty pae = %q", got)
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	key := newKey(t)
	env, err := SignEnvelope(key, []byte(`{"x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := VerifyEnvelope(env, &key.PublicKey); err != nil || string(got) != `{"x":1}` {
		t.Fatalf("open = %q, %v", got, err)
	}
	bad := *env
	bad.PayloadType = "text/plain"
	if _, err := VerifyEnvelope(&bad, &key.PublicKey); err == nil {
		t.Fatal("wrong payload type accepted")
	}
	bad = *env
	bad.Payload = "e30=" // {}
	if _, err := VerifyEnvelope(&bad, &key.PublicKey); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("altered payload: err = %v", err)
	}
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if _, err := SignEnvelope(p224, nil); err == nil {
		t.Fatal("P-224 key accepted")
	}
}
