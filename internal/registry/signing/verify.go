package signing

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// VerifyOptions says which signer to trust and how to treat the model.
type VerifyOptions struct {
	// PublicKey verifies key-method bundles. For certificate bundles
	// without Roots it pins the leaf certificate's key instead.
	PublicKey *ecdsa.PublicKey
	// Roots are the trusted CAs for certificate-method bundles; the
	// bundle supplies the intermediates.
	Roots *x509.CertPool
	// Time is when the leaf certificate must be valid; zero means now.
	Time time.Time
	// IgnoreUnsignedFiles accepts files the signature does not list.
	IgnoreUnsignedFiles bool
	// SignaturePath is excluded from the model when it lies inside it.
	SignaturePath string
	// Progress is passed on to the hashing, see HashOptions.
	Progress func(done, total int64)
}

// Verified describes a model that matched its signature.
type Verified struct {
	RootDigest string
	Manifest   *Manifest // as signed
	Method     string
	Signer     string // key hint or leaf certificate fingerprint
	Bytes      int64  // bytes re-hashed
}

// MismatchError names the files that differ from the signed manifest.
type MismatchError struct {
	Modified, Missing, Extra []string
}

func (e *MismatchError) Error() string {
	var parts []string
	for _, p := range []struct {
		what  string
		names []string
	}{{"modified", e.Modified}, {"missing", e.Missing}, {"not in the signature", e.Extra}} {
		if len(p.names) > 0 {
			shown := make([]string, len(p.names))
			for i, n := range p.names {
				shown[i] = display(n)
			}
			parts = append(parts, p.what+": "+strings.Join(shown, ", "))
		}
	}
	return "model does not match its signature; " + strings.Join(parts, "; ")
}

// display quotes a file name that holds control characters or separators
// of the list, so a hostile name cannot forge lines of output.
func display(name string) string {
	if strings.ContainsFunc(name, func(r rune) bool { return !unicode.IsPrint(r) || r == ',' || r == ';' }) {
		return strconv.Quote(name)
	}
	return name
}

// Verify checks the bundle's signature, then re-hashes the model at path
// and compares every file with the signed manifest. A model that differs
// yields a *MismatchError.
func Verify(ctx context.Context, path string, bundle []byte, opt VerifyOptions) (*Verified, error) {
	b, err := ParseBundle(bundle)
	if err != nil {
		return nil, err
	}
	st, v, err := b.verifyStatement(opt)
	if err != nil {
		return nil, err
	}
	ser := st.Predicate.Serialization
	ser.IgnorePaths, err = ignoreList(path, ser.IgnorePaths, opt.SignaturePath)
	if err != nil {
		return nil, err
	}
	local, err := hashModel(ctx, path, ser, opt.Progress)
	if err != nil {
		return nil, err
	}
	if err := compare(&st.Predicate, local, opt.IgnoreUnsignedFiles); err != nil {
		return nil, err
	}
	v.Bytes = local.Bytes
	return v, nil
}

// VerifyBundle checks only the signature and the statement, not the files.
func VerifyBundle(bundle []byte, opt VerifyOptions) (*Verified, error) {
	b, err := ParseBundle(bundle)
	if err != nil {
		return nil, err
	}
	_, v, err := b.verifyStatement(opt)
	return v, err
}

func (b *Bundle) verifyStatement(opt VerifyOptions) (*Statement, *Verified, error) {
	method, err := b.Method()
	if err != nil {
		return nil, nil, err
	}
	var pub *ecdsa.PublicKey
	var signer string
	switch method {
	case MethodKey:
		pub, signer, err = b.keyVerifier(opt)
	case MethodCertificate:
		pub, signer, err = b.certVerifier(opt)
	default:
		err = fmt.Errorf("keyless Sigstore signatures need Sigstore's own verifier for their transparency log; attest verifies key and certificate signatures")
	}
	if err != nil {
		return nil, nil, err
	}
	payload, err := VerifyEnvelope(b.DSSEEnvelope, pub)
	if err != nil {
		return nil, nil, err
	}
	st, err := parseStatement(payload)
	if err != nil {
		return nil, nil, err
	}
	return st, &Verified{RootDigest: st.RootDigest(), Manifest: &st.Predicate, Method: method, Signer: signer}, nil
}

func (b *Bundle) keyVerifier(opt VerifyOptions) (*ecdsa.PublicKey, string, error) {
	if opt.PublicKey == nil {
		return nil, "", fmt.Errorf("this model was signed with a key: pass the signer's public key")
	}
	hint, err := KeyHint(opt.PublicKey)
	if err != nil {
		return nil, "", err
	}
	if h := b.VerificationMaterial.PublicKey.Hint; h != "" && h != hint {
		return nil, "", fmt.Errorf("%w: the bundle names key %s but the given key is %s", ErrBadSignature, h, hint)
	}
	return opt.PublicKey, hint, nil
}

func (b *Bundle) certVerifier(opt VerifyOptions) (*ecdsa.PublicKey, string, error) {
	var certs []*x509.Certificate
	for i, rc := range b.VerificationMaterial.X509CertificateChain.Certificates {
		der, err := base64.StdEncoding.DecodeString(rc.RawBytes)
		if err != nil {
			return nil, "", fmt.Errorf("%w: certificate %d is not base64", ErrMalformedBundle, i)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, "", fmt.Errorf("%w: certificate %d: %v", ErrMalformedBundle, i, err)
		}
		certs = append(certs, c)
	}
	leaf := certs[0]
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, "", fmt.Errorf("signing certificate holds a %T key; only ECDSA is supported", leaf.PublicKey)
	}
	at := opt.Time
	if at.IsZero() {
		at = time.Now()
	}
	switch {
	case opt.Roots != nil:
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		_, err := leaf.Verify(x509.VerifyOptions{
			Roots:         opt.Roots,
			Intermediates: inter,
			CurrentTime:   at,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
		})
		if err != nil {
			return nil, "", fmt.Errorf("signing certificate is not trusted: %w", err)
		}
	case opt.PublicKey != nil:
		if !pub.Equal(opt.PublicKey) {
			return nil, "", fmt.Errorf("%w: the signing certificate holds a different key than the one given", ErrBadSignature)
		}
		if at.Before(leaf.NotBefore) || at.After(leaf.NotAfter) {
			return nil, "", fmt.Errorf("signing certificate is valid from %s to %s, not at %s", leaf.NotBefore.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339), at.Format(time.RFC3339))
		}
	default:
		return nil, "", fmt.Errorf("this model was signed with a certificate: pass the CA certificates to trust, or the signer's public key")
	}
	if leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 && !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageCodeSigning) {
		return nil, "", fmt.Errorf("signing certificate is not allowed to sign: it needs the digitalSignature key usage or the codeSigning extended key usage")
	}
	return pub, certFingerprint(leaf), nil
}

// compare matches a re-hashed model against the signed manifest, file by
// file. Shards are grouped under their file, so a changed byte range
// names the file it belongs to.
func compare(signed, local *Manifest, ignoreUnsigned bool) error {
	group := func(m *Manifest) (map[string]map[string]string, error) {
		files := make(map[string]map[string]string)
		for _, r := range m.Resources {
			name := r.Name
			if m.Serialization.Method == MethodShards {
				p, _, _, err := parseShardName(r.Name)
				if err != nil {
					return nil, err
				}
				name = p
			}
			if files[name] == nil {
				files[name] = make(map[string]string)
			}
			files[name][r.Name] = r.Digest
		}
		return files, nil
	}
	want, err := group(signed)
	if err != nil {
		return err
	}
	got, err := group(local)
	if err != nil {
		return err
	}
	var e MismatchError
	for name, res := range want {
		have, ok := got[name]
		switch {
		case !ok:
			e.Missing = append(e.Missing, name)
		case !maps.Equal(res, have):
			e.Modified = append(e.Modified, name)
		}
	}
	if !ignoreUnsigned {
		for name := range got {
			if _, ok := want[name]; !ok {
				e.Extra = append(e.Extra, name)
			}
		}
	}
	if len(e.Modified)+len(e.Missing)+len(e.Extra) == 0 {
		return nil
	}
	slices.Sort(e.Modified)
	slices.Sort(e.Missing)
	slices.Sort(e.Extra)
	return &e
}

var _ error = (*MismatchError)(nil)
