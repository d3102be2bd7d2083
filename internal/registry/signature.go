package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/registry/signing"
)

// checkedBundle is a bundle whose signature verified under a trusted key.
type checkedBundle struct {
	bundle     []byte
	keyHint    string
	rootDigest string // sha256:<hex>
	verified   *signing.Verified
}

// checkBundle verifies an OMS bundle against the tenant's trusted keys.
// Only the signature and statement are checked: the files are checked
// where they are deployed (RecordVerification, VerifyFiles).
func (s *Service) checkBundle(ctx context.Context, tenant string, bundle []byte) (*checkedBundle, error) {
	if _, err := signing.ParseBundle(bundle); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	keys, err := s.activeKeys(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: tenant %s trusts no signing key yet; add the signer's public key with 'attest model trust-key' or POST /api/v1/signing-keys", ErrConflict, tenant)
	}
	var last error
	for _, k := range keys {
		v, err := signing.VerifyBundle(bundle, signing.VerifyOptions{PublicKey: k.pub})
		if err == nil {
			return &checkedBundle{bundle: bundle, keyHint: k.hint, rootDigest: "sha256:" + v.RootDigest, verified: v}, nil
		}
		last = err
	}
	if errors.Is(last, signing.ErrMalformedBundle) {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, last)
	}
	return nil, fmt.Errorf("%w: the signature is not by any key tenant %s trusts (%v); trust the signer's key first", ErrForbidden, tenant, last)
}

// AttachSignature checks an OMS bundle for a registered version: its
// signature must verify under a trusted key and its subject must be the
// version's digest. It records model.signed with the root digest.
func (s *Service) AttachSignature(ctx context.Context, tenant string, actor ledger.Actor, id string, bundle []byte) (Version, error) {
	if _, err := s.Version(ctx, tenant, id); err != nil {
		return Version{}, err
	}
	cb, err := s.checkBundle(ctx, tenant, bundle)
	if err != nil {
		return Version{}, err
	}
	return s.acceptSignature(ctx, tenant, actor, id, cb)
}

func (s *Service) acceptSignature(ctx context.Context, tenant string, actor ledger.Actor, id string, cb *checkedBundle) (Version, error) {
	v, err := s.Version(ctx, tenant, id)
	if err != nil {
		return v, err
	}
	if cb.rootDigest != v.Digest {
		return v, fmt.Errorf("%w: the signature covers %s but version %s has digest %s; sign exactly the files that were registered", ErrConflict, cb.rootDigest, id, v.Digest)
	}
	sig := &signing.Signature{
		Bundle: cb.bundle, RootDigest: cb.verified.RootDigest, Manifest: cb.verified.Manifest,
		Method: cb.verified.Method, Signer: cb.verified.Signer,
	}
	e, err := signing.SignedEvent(tenant, actor, sig, versionRef(id), modelRef(v.Model), keyRef(cb.keyHint))
	if err != nil {
		return v, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	idx, err := s.append(ctx, e)
	if err != nil {
		return v, err
	}
	var body signing.SignedBody
	json.Unmarshal(e.Body, &body)
	b := storedBundle{Bundle: cb.bundle}
	if _, err := s.bundles.Mutate(ctx, tenant, id, func(x *storedBundle) error { *x = b; return nil }); err != nil {
		if err := s.bundles.Create(ctx, tenant, id, b); err != nil {
			return v, err
		}
	}
	return s.versions.Mutate(ctx, tenant, id, func(v *Version) error {
		v.Signature = &SignatureInfo{
			RootDigest: cb.rootDigest, Signer: sig.Signer, KeyHint: cb.keyHint, Method: sig.Method,
			BundleSHA256: body.BundleSHA256, Resources: body.Resources, Time: s.now(), Index: idx,
		}
		return nil
	})
}

// Bundle returns the OMS signature file of a signed version.
func (s *Service) Bundle(ctx context.Context, tenant, id string) ([]byte, error) {
	b, err := s.bundles.Get(ctx, tenant, id)
	if err != nil {
		return nil, notFound(err, "version %s has no signature", id)
	}
	return b.Bundle, nil
}

// maxFiles bounds the file names a verification report may carry.
const maxFiles = 20

// RecordVerification records how a deployment's check of the version's
// files at load time went: signing.VerifiedBody as produced by
// signing.VerifiedEvent where the files are. A successful report must be
// for the version's signed digest and signer.
func (s *Service) RecordVerification(ctx context.Context, tenant string, actor ledger.Actor, id string, r signing.VerifiedBody) (Version, error) {
	v, err := s.Version(ctx, tenant, id)
	if err != nil {
		return v, err
	}
	if v.Signature == nil {
		return v, fmt.Errorf("%w: version %s is not signed, so there is nothing to verify against; attach its signature first", ErrConflict, id)
	}
	if r.Verified {
		if r.RootDigest != v.Digest {
			return v, fmt.Errorf("%w: the deployment verified files with digest %q, but version %s is %s; it is running another model", ErrConflict, r.RootDigest, id, v.Digest)
		}
		// The signature file may have been re-encoded on the way (JSON
		// whitespace), so the signer identifies it rather than its hash.
		if r.Signer != v.Signature.Signer {
			return v, fmt.Errorf("%w: the deployment verified a signature by %q, but %s was signed by %q", ErrConflict, r.Signer, id, v.Signature.Signer)
		}
		r.Reason, r.Modified, r.Missing, r.Extra = "", nil, nil, nil
	} else if r.Reason == "" {
		r.Reason = "error"
	}
	if len(r.Modified)+len(r.Missing)+len(r.Extra) > 3*maxFiles || len(r.Reason) > 64 {
		return v, fmt.Errorf("%w: a verification report names at most %d files per kind and a short reason", ErrInvalid, maxFiles)
	}
	e, err := ledger.NewEvent(signing.EventVerified, tenant, actor, r, versionRef(id), modelRef(v.Model))
	if err != nil {
		return v, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return s.recordVerification(ctx, tenant, actor, id, e, r)
}

func (s *Service) recordVerification(ctx context.Context, tenant string, actor ledger.Actor, id string, e ledger.Event, r signing.VerifiedBody) (Version, error) {
	idx, err := s.append(ctx, e)
	if err != nil {
		return Version{}, err
	}
	return s.versions.Mutate(ctx, tenant, id, func(v *Version) error {
		var files []string
		files = append(append(append(files, r.Modified...), r.Missing...), r.Extra...)
		v.Verification = &VerificationInfo{OK: r.Verified, Reason: r.Reason, Files: files, Actor: actor, Time: s.now(), Index: idx}
		return nil
	})
}

// VerifyFiles re-hashes the model at path against the version's registered
// signature, records the outcome as model.verified and returns the
// verification error, which names every file that differs.
func (s *Service) VerifyFiles(ctx context.Context, tenant string, actor ledger.Actor, id, path string, opt signing.VerifyOptions) (Version, error) {
	v, err := s.Version(ctx, tenant, id)
	if err != nil {
		return v, err
	}
	if v.Signature == nil {
		return v, fmt.Errorf("%w: version %s is not signed, so there is nothing to verify against", ErrConflict, id)
	}
	bundle, err := s.Bundle(ctx, tenant, id)
	if err != nil {
		return v, err
	}
	keys, err := s.activeKeys(ctx, tenant)
	if err != nil {
		return v, err
	}
	for _, k := range keys {
		if k.hint == v.Signature.KeyHint {
			opt.PublicKey = k.pub
		}
	}
	if opt.PublicKey == nil {
		return v, fmt.Errorf("%w: the key that signed %s is no longer trusted; sign it again with a trusted key", ErrConflict, id)
	}
	res, verr := signing.Verify(ctx, path, bundle, opt)
	if verr == nil && "sha256:"+res.RootDigest != v.Digest {
		verr = fmt.Errorf("the files have digest sha256:%s, not the version's %s", res.RootDigest, v.Digest)
	}
	e, err := signing.VerifiedEvent(tenant, actor, bundle, res, verr, versionRef(id), modelRef(v.Model))
	if err != nil {
		return v, err
	}
	var body signing.VerifiedBody
	json.Unmarshal(e.Body, &body)
	if v, err = s.recordVerification(ctx, tenant, actor, id, e, body); err != nil {
		return v, err
	}
	return v, verr
}
