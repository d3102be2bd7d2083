package signing

import (
	"context"
	"crypto"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
)

// These tests check our bundles with Sigstore's own Go verifier, which
// shares no code with this package. The policy pins the artifact digest to
// the root digest, so sigstore-go also checks the in-toto subject.

func sigstorePolicy(t *testing.T, sig *Signature) verify.PolicyBuilder {
	digest, err := hex.DecodeString(sig.RootDigest)
	if err != nil {
		t.Fatal(err)
	}
	return verify.NewPolicy(verify.WithArtifactDigest("sha256", digest), verify.WithKey())
}

func TestSigstoreGoVerifiesKeyBundle(t *testing.T) {
	key := newKey(t)
	s, _ := NewSigner(key)
	sig := signModel(t, writeModel(t, goldenModel), s, HashOptions{ShardSize: 32})

	var b bundle.Bundle
	if err := b.UnmarshalJSON(sig.Bundle); err != nil {
		t.Fatalf("sigstore-go cannot load the bundle: %v", err)
	}
	verifier, err := signature.LoadECDSAVerifier(&key.PublicKey, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	trusted := root.NewTrustedPublicKeyMaterial(func(hint string) (root.TimeConstrainedVerifier, error) {
		if hint != sig.Signer {
			return nil, fmt.Errorf("unknown key hint %s", hint)
		}
		return root.NewExpiringKey(verifier, time.Time{}, time.Time{}), nil
	})
	v, err := verify.NewVerifier(trusted, verify.WithNoObserverTimestamps())
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify(&b, sigstorePolicy(t, sig))
	if err != nil {
		t.Fatalf("sigstore-go rejects the bundle: %v", err)
	}
	if res.Statement == nil || res.Statement.PredicateType != PredicateType {
		t.Fatalf("sigstore-go result %+v", res)
	}

	// The same verifier must reject a signature from another key.
	other := newKey(t)
	s2, _ := NewSigner(other)
	forged, err := s2.SignManifest(sig.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	var fb bundle.Bundle
	if err := fb.UnmarshalJSON(forged.Bundle); err != nil {
		t.Fatal(err)
	}
	trustAll := root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(verifier, time.Time{}, time.Time{}), nil
	})
	v2, _ := verify.NewVerifier(trustAll, verify.WithNoObserverTimestamps())
	if _, err := v2.Verify(&fb, sigstorePolicy(t, forged)); err == nil {
		t.Fatal("sigstore-go accepted a signature from another key")
	}
}

func TestSigstoreGoVerifiesCertificateBundle(t *testing.T) {
	ca := newCA(t)
	key := newKey(t)
	leaf := ca.issue(t, &key.PublicKey, time.Now().Add(time.Hour), 0)
	s, _ := NewSigner(key, leaf)
	sig, err := s.Sign(context.Background(), writeModel(t, goldenModel), HashOptions{Method: MethodFiles})
	if err != nil {
		t.Fatal(err)
	}
	var b bundle.Bundle
	bundle.AllowCertificateChain()(&b)
	if err := b.UnmarshalJSON(sig.Bundle); err != nil {
		t.Fatalf("sigstore-go cannot load the bundle: %v", err)
	}
	trusted, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{&root.FulcioCertificateAuthority{Root: ca.cert}}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.NewVerifier(trusted, verify.WithCurrentTime())
	if err != nil {
		t.Fatal(err)
	}
	digest, _ := hex.DecodeString(sig.RootDigest)
	policy := verify.NewPolicy(verify.WithArtifactDigest("sha256", digest), verify.WithoutIdentitiesUnsafe())
	if _, err := v.Verify(&b, policy); err != nil {
		t.Fatalf("sigstore-go rejects the certificate bundle: %v", err)
	}

	stranger, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{&root.FulcioCertificateAuthority{Root: newCA(t).cert}}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	v2, _ := verify.NewVerifier(stranger, verify.WithCurrentTime())
	if _, err := v2.Verify(&b, policy); err == nil {
		t.Fatal("sigstore-go accepted a certificate from an untrusted CA")
	}
}
