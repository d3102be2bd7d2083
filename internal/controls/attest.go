package controls

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// Kinds of attestation.
const (
	// AttestOperation evidences that a manual control operated.
	AttestOperation = "operation"
	// AttestRemediation records how an exception of any control was fixed.
	AttestRemediation = "remediation"
)

// MaxEvidenceBytes bounds one uploaded evidence file.
const MaxEvidenceBytes = 10 << 20

// AttestRequest is a manual attestation with its uploaded evidence.
type AttestRequest struct {
	Control string `json:"control"`
	// Kind is AttestOperation (the default) or AttestRemediation.
	Kind string `json:"kind,omitempty"`
	// Expires, if set, shortens the evidence's life below the control's
	// expiry.
	Expires      time.Time `json:"expires,omitzero"`
	EvidenceName string    `json:"evidence_name"`
	ContentType  string    `json:"content_type,omitempty"`
	Evidence     []byte    `json:"evidence"`
}

// ErrInvalidAttestation wraps every reason an attestation is refused.
var ErrInvalidAttestation = errors.New("invalid attestation")

var evidenceName = regexp.MustCompile(`^[\w][\w .,()+@-]{0,127}$`)

// Attest stores the evidence file and records a control.attested event
// that commits to its SHA-256. Only the digest, name, size and expiry go
// into the ledger.
func (e *Engine) Attest(ctx context.Context, by ledger.Actor, req AttestRequest) (AttestationRef, error) {
	bad := func(format string, a ...any) (AttestationRef, error) {
		return AttestationRef{}, fmt.Errorf("%w: "+format, append([]any{ErrInvalidAttestation}, a...)...)
	}
	k, ok := e.d.Catalog.Control(req.Control)
	if !ok {
		return bad("no control %q; list them with 'attest controls list'", req.Control)
	}
	if req.Kind == "" {
		req.Kind = AttestOperation
	}
	switch {
	case req.Kind != AttestOperation && req.Kind != AttestRemediation:
		return bad("kind %q must be operation or remediation", req.Kind)
	case req.Kind == AttestOperation && k.Automated():
		return bad("control %s is tested by automated checks; upload a remediation record instead (kind remediation)", k.ID)
	case len(req.Evidence) == 0:
		return bad("attach the evidence file")
	case len(req.Evidence) > MaxEvidenceBytes:
		return bad("the evidence file is over %d MiB; upload a summary and keep the full file in your document store", MaxEvidenceBytes>>20)
	case !evidenceName.MatchString(req.EvidenceName):
		return bad("evidence name must be 1-128 letters, digits, spaces or .,()+@- such as \"scan-2026-03.pdf\"")
	}
	if len(req.ContentType) > 100 {
		return bad("content type is too long")
	}
	if req.ContentType == "" {
		req.ContentType = "application/octet-stream"
	}
	now := e.d.Now().UTC()
	expires := time.Time{}
	if k.Attestation != nil {
		expires = now.Add(k.Attestation.Expiry.D)
	}
	if !req.Expires.IsZero() {
		if !req.Expires.After(now) {
			return bad("expiry %s is in the past", req.Expires.Format(time.RFC3339))
		}
		if expires.IsZero() || req.Expires.Before(expires) {
			expires = req.Expires.UTC()
		}
	}
	sum := sha256.Sum256(req.Evidence)
	digest := hex.EncodeToString(sum[:])
	if err := e.d.Store.PutEvidence(ctx, Evidence{SHA256: digest, Name: req.EvidenceName, ContentType: req.ContentType, Data: req.Evidence,
		Size: len(req.Evidence), Uploaded: now, UploadedBy: by.ID}); err != nil {
		return AttestationRef{}, fmt.Errorf("store evidence: %w", err)
	}
	body := map[string]any{"control": k.ID, "kind": req.Kind, "evidence_sha256": digest, "evidence_name": req.EvidenceName,
		"evidence_bytes": len(req.Evidence), "content_type": req.ContentType}
	if !expires.IsZero() {
		body["expires"] = expires
	}
	ev, err := ledger.NewEvent(EventAttested, SystemTenant, by, body, ledger.Ref{Kind: "control", ID: k.ID}, ledger.Ref{Kind: "evidence", ID: digest})
	if err != nil {
		return AttestationRef{}, err
	}
	ev.Time = now
	idx, err := e.d.Log.Append(ctx, ev)
	if err != nil {
		return AttestationRef{}, fmt.Errorf("record attestation: %w", err)
	}
	return AttestationRef{Index: idx, Time: now, Expires: expires, Actor: string(by.Kind) + ":" + by.ID, Evidence: digest}, nil
}
