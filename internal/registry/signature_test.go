package registry_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/registry"
	"github.com/attest-ai/attest/internal/registry/signing"
)

func TestVerificationNamesTheFileThatDiffers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(dir string) error
		file   string
		field  func(b signing.VerifiedBody) []string
	}{
		{"tampered", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "weights.bin"), []byte("backdoor"), 0o644)
		},
			"weights.bin", func(b signing.VerifiedBody) []string { return b.Modified }},
		{"missing", func(dir string) error { return os.Remove(filepath.Join(dir, "config.json")) },
			"config.json", func(b signing.VerifiedBody) []string { return b.Missing }},
		{"extra", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "payload.py"), []byte("import os"), 0o644)
		},
			"payload.py", func(b signing.VerifiedBody) []string { return b.Extra }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, registry.Policy{})
			dir := f.signedVersion("support", "1")
			f.verified("support@1", dir)
			f.promote("support", "1", registry.AliasStaging)
			if _, err := f.svc.CanServe(f.ctx, tenant, "support", registry.AliasStaging); err != nil {
				t.Fatalf("the verified, approved version should be servable: %v", err)
			}

			f.must(tc.change(dir))
			_, err := f.svc.VerifyFiles(f.ctx, tenant, ci, "support@1", dir, signing.VerifyOptions{})
			wantErr(t, err, nil, tc.file)

			es := f.events(signing.EventVerified, ledger.Ref{Kind: "model_version", ID: "support@1"})
			var body signing.VerifiedBody
			f.must(json.Unmarshal(es[len(es)-1].Event.Body, &body))
			if body.Verified || body.Reason != "mismatch" || len(tc.field(body)) != 1 || tc.field(body)[0] != tc.file {
				t.Fatalf("the model.verified event should name %s: %+v", tc.file, body)
			}
			_, err = f.svc.CanServe(f.ctx, tenant, "support", registry.AliasStaging)
			wantErr(t, err, registry.ErrNotServable, "failed verification at load (mismatch: ["+tc.file+"])")
		})
	}
}

func TestSignatureMustBeTrustedAndMatchTheVersion(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	f.model("support", registry.RiskLimited)
	dir := writeModel(t, map[string]string{"weights.bin": "w1"})
	sig := f.sign(dir)

	_, err := f.svc.RegisterVersion(f.ctx, tenant, alice, "support", registry.VersionSpec{Version: "1", Bundle: sig.Bundle})
	wantErr(t, err, registry.ErrConflict, "trusts no signing key")

	// A key of another signer is not trusted.
	_, otherPub, err := signing.GenerateKey()
	f.must(err)
	_, err = f.svc.TrustKey(f.ctx, tenant, alice, "other", otherPub)
	f.must(err)
	_, err = f.svc.RegisterVersion(f.ctx, tenant, alice, "support", registry.VersionSpec{Version: "1", Bundle: sig.Bundle})
	wantErr(t, err, registry.ErrForbidden, "not by any key")

	f.trust()
	// The signature must cover the registered digest.
	_, err = f.svc.RegisterVersion(f.ctx, tenant, alice, "support", registry.VersionSpec{Version: "2", Digest: "sha256:" + hexString(make([]byte, 32))})
	f.must(err)
	_, err = f.svc.AttachSignature(f.ctx, tenant, alice, "support@2", sig.Bundle)
	wantErr(t, err, registry.ErrConflict, "sign exactly the files that were registered")

	v, err := f.svc.RegisterVersion(f.ctx, tenant, alice, "support", registry.VersionSpec{Version: "1", Bundle: sig.Bundle})
	f.must(err)
	if v.Signature == nil || v.Signature.RootDigest != "sha256:"+sig.RootDigest || v.Digest != v.Signature.RootDigest {
		t.Fatalf("signature not recorded: %+v", v.Signature)
	}
	es := f.events(signing.EventSigned, ledger.Ref{Kind: "model_version", ID: "support@1"})
	if len(es) != 1 {
		t.Fatalf("want one model.signed event, got %d", len(es))
	}
	var body signing.SignedBody
	f.must(json.Unmarshal(es[0].Event.Body, &body))
	if body.RootDigest != v.Digest || body.Signature == "" {
		t.Fatalf("model.signed body lacks the root digest or signature: %+v", body)
	}

	// A malformed bundle is a bad request.
	_, err = f.svc.AttachSignature(f.ctx, tenant, alice, "support@1", []byte(`{"mediaType":"nope"}`))
	wantErr(t, err, registry.ErrInvalid, "")
}

func TestReportedVerificationMustBeForTheSignedFiles(t *testing.T) {
	f := newFixture(t, registry.Policy{})
	dir := f.signedVersion("support", "1")
	bundle, err := f.svc.Bundle(f.ctx, tenant, "support@1")
	f.must(err)
	res, verr := signing.Verify(f.ctx, dir, bundle, signing.VerifyOptions{PublicKey: &f.key.PublicKey})
	e, err := signing.VerifiedEvent(tenant, ci, bundle, res, verr)
	f.must(err)
	var report signing.VerifiedBody
	f.must(json.Unmarshal(e.Body, &report))

	wrong := report
	wrong.RootDigest = "sha256:" + hexString(make([]byte, 32))
	_, err = f.svc.RecordVerification(f.ctx, tenant, ci, "support@1", wrong)
	wantErr(t, err, registry.ErrConflict, "running another model")

	v, err := f.svc.RecordVerification(f.ctx, tenant, ci, "support@1", report)
	f.must(err)
	if v.Verification == nil || !v.Verification.OK {
		t.Fatalf("verification not recorded: %+v", v.Verification)
	}
}
