package privacy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/records"
	"github.com/attest-ai/attest/internal/vault"
)

// DefaultDeadline is how long a data-subject request may stay open.
const DefaultDeadline = 30 * 24 * time.Hour

// Request is a data-subject request with its deadline and status.
type Request struct {
	ID          string         `json:"id"`
	Tenant      string         `json:"tenant"`
	Subject     string         `json:"subject"` // pseudonym
	Type        string         `json:"type"`    // access or erasure
	Opened      time.Time      `json:"opened"`
	Due         time.Time      `json:"due"`
	Status      string         `json:"status"` // open, completed, blocked
	Closed      time.Time      `json:"closed,omitzero"`
	Reason      string         `json:"reason,omitempty"` // why it is blocked
	Receipt     *vault.Receipt `json:"receipt,omitempty"`
	Remediation []Remediation  `json:"remediation,omitempty"`
}

// Remediation is a tracked follow-up for data outside the vault, such as a
// training dataset that must be rebuilt without the subject.
type Remediation struct {
	Reference
	Status string    `json:"status"` // open or done
	Done   time.Time `json:"done,omitzero"`
}

// Overdue reports whether the request missed its deadline.
func (r Request) Overdue(now time.Time) bool {
	return r.Status != "completed" && now.After(r.Due)
}

func newID(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Open starts a request of typ ("access" or "erasure") for a raw subject id.
func (s *Service) Open(ctx context.Context, tenant string, actor ledger.Actor, rawSubject, typ string, deadline time.Duration) (Request, error) {
	if typ != "access" && typ != "erasure" {
		return Request{}, fmt.Errorf("%w: request type %q: use access or erasure", ErrInvalid, typ)
	}
	if deadline <= 0 {
		deadline = DefaultDeadline
	}
	now := s.now().UTC()
	r := Request{ID: newID("dsr_"), Tenant: tenant, Subject: s.Pseudonym(tenant, rawSubject), Type: typ, Opened: now, Due: now.Add(deadline), Status: "open"}
	if _, err := s.log.Append(ctx, ledger.MustEvent("dsr.opened", tenant, actor,
		map[string]any{"request": r.ID, "type": typ, "due": r.Due}, ledger.Ref{Kind: "subject", ID: r.Subject}, ledger.Ref{Kind: "dsr", ID: r.ID})); err != nil {
		return Request{}, fmt.Errorf("record request: %w", err)
	}
	return r, s.dsrs.Create(ctx, tenant, r.ID, r)
}

// Requests lists a tenant's requests, oldest first.
func (s *Service) Requests(ctx context.Context, tenant string) ([]Request, error) {
	rs, err := s.dsrs.List(ctx, tenant)
	sortBy(rs, func(r Request) time.Time { return r.Opened })
	return rs, err
}

// Get reads one request.
func (s *Service) Get(ctx context.Context, tenant, id string) (Request, error) {
	return s.dsrs.Get(ctx, tenant, id)
}

// SubjectExport is everything attest holds about a subject.
type SubjectExport struct {
	Subject    string            `json:"subject"`
	Tenant     string            `json:"tenant"`
	Generated  time.Time         `json:"generated"`
	Payloads   []ExportedPayload `json:"payloads"`
	Consents   []Consent         `json:"consents"`
	Events     []json.RawMessage `json:"events"`
	References []Reference       `json:"references"`
	LegalHold  *vault.Hold       `json:"legal_hold,omitempty"`
}

// ExportedPayload is one retained payload, decrypted for its owner.
type ExportedPayload struct {
	Ref     string    `json:"ref"`
	Kind    string    `json:"kind"`
	Class   string    `json:"class"`
	Created time.Time `json:"created"`
	Content string    `json:"content,omitempty"`
	State   string    `json:"state"` // readable or shredded
}

// Export gathers everything held about a subject (the access right) and,
// if a request id is given, completes that request.
func (s *Service) Export(ctx context.Context, tenant string, actor ledger.Actor, rawSubject, requestID string, reader ledger.Reader) (SubjectExport, error) {
	sub := s.Pseudonym(tenant, rawSubject)
	out := SubjectExport{Subject: sub, Tenant: tenant, Generated: s.now().UTC(), Payloads: []ExportedPayload{}, Consents: []Consent{}, Events: []json.RawMessage{}, References: []Reference{}}
	ps, err := s.vst.SubjectPayloads(ctx, tenant, sub)
	if err != nil {
		return out, err
	}
	for _, p := range ps {
		ep := ExportedPayload{Ref: p.Ref, Kind: p.Kind, Class: p.Class, Created: p.Created, State: "readable"}
		if _, pt, err := s.vault.Open(ctx, p.Ref); err == nil {
			ep.Content = string(pt)
		} else if errors.Is(err, vault.ErrErased) {
			ep.State = "shredded"
		} else {
			return out, err
		}
		out.Payloads = append(out.Payloads, ep)
	}
	for _, p := range []Purpose{PurposeAI, PurposeTraining, PurposeHumanReview} {
		if c, err := s.consents.Get(ctx, tenant, sub+":"+string(p)); err == nil {
			out.Consents = append(out.Consents, c)
		}
	}
	if reader != nil {
		ref := ledger.Ref{Kind: "subject", ID: sub}
		err := ledger.Each(ctx, reader, ledger.Query{Subject: &ref, Tenant: tenant}, func(e ledger.Entry) error {
			out.Events = append(out.Events, e.Data)
			return nil
		})
		if err != nil {
			return out, err
		}
	}
	if s.index != nil {
		refs, err := s.index.ReferencesTo(ctx, tenant, sub)
		if err != nil {
			return out, err
		}
		out.References = append(out.References, refs...)
	}
	if h, err := s.vst.Hold(ctx, tenant, sub); err == nil {
		out.LegalHold = &h
	}
	if _, err := s.log.Append(ctx, ledger.MustEvent("subject.exported", tenant, actor,
		map[string]any{"payloads": len(out.Payloads), "events": len(out.Events), "request": requestID}, ledger.Ref{Kind: "subject", ID: sub})); err != nil {
		return out, fmt.Errorf("record export: %w", err)
	}
	if requestID != "" {
		if err := s.close(ctx, tenant, actor, requestID, sub, "access", func(r *Request) {}); err != nil {
			return out, err
		}
	}
	return out, nil
}

// Erase crypto-shreds the subject, opens a remediation item for every
// dataset, evaluation set or export that still references them, and closes
// the request with the receipt. A legal hold blocks it and marks the
// request blocked.
func (s *Service) Erase(ctx context.Context, tenant string, actor ledger.Actor, rawSubject, requestID string) (Request, error) {
	sub := s.Pseudonym(tenant, rawSubject)
	r := Request{ID: requestID, Tenant: tenant, Subject: sub, Type: "erasure"}
	if requestID == "" {
		var err error
		if r, err = s.Open(ctx, tenant, actor, rawSubject, "erasure", 0); err != nil {
			return r, err
		}
	}
	rc, err := s.vault.Erase(ctx, tenant, sub, actor)
	if errors.Is(err, vault.ErrHeld) {
		s.dsrs.Mutate(ctx, tenant, r.ID, func(x *Request) error { x.Status, x.Reason = "blocked", "legal hold"; return nil })
		return r, err
	}
	if err != nil {
		return r, err
	}
	var refs []Reference
	if s.index != nil {
		if refs, err = s.index.ReferencesTo(ctx, tenant, sub); err != nil {
			return r, fmt.Errorf("find references to the subject: %w", err)
		}
	}
	var rem []Remediation
	for _, ref := range refs {
		rem = append(rem, Remediation{Reference: ref, Status: "open"})
	}
	err = s.close(ctx, tenant, actor, r.ID, sub, "erasure", func(x *Request) {
		x.Receipt = &rc
		x.Remediation = rem
	})
	if err != nil {
		return r, err
	}
	return s.dsrs.Get(ctx, tenant, r.ID)
}

func (s *Service) close(ctx context.Context, tenant string, actor ledger.Actor, id, sub, typ string, fill func(*Request)) error {
	now := s.now().UTC()
	var open int
	r, err := s.dsrs.Mutate(ctx, tenant, id, func(x *Request) error {
		if x.Subject != sub {
			return fmt.Errorf("request %s is for another subject", id)
		}
		if x.Type != typ {
			return fmt.Errorf("request %s is an %s request, not %s", id, x.Type, typ)
		}
		fill(x)
		x.Status, x.Closed, x.Reason = "completed", now, ""
		open = len(x.Remediation)
		return nil
	})
	if err != nil {
		return err
	}
	_, err = s.log.Append(ctx, ledger.MustEvent("dsr.closed", tenant, actor, map[string]any{
		"request": id, "type": typ, "on_time": !now.After(r.Due), "remediation_open": open,
	}, ledger.Ref{Kind: "subject", ID: sub}, ledger.Ref{Kind: "dsr", ID: id}))
	return err
}

// CompleteRemediation marks a follow-up done, e.g. after a dataset was
// rebuilt without the subject.
func (s *Service) CompleteRemediation(ctx context.Context, tenant string, actor ledger.Actor, id string, ref Reference) (Request, error) {
	found := false
	r, err := s.dsrs.Mutate(ctx, tenant, id, func(x *Request) error {
		for i := range x.Remediation {
			if x.Remediation[i].Reference == ref && x.Remediation[i].Status == "open" {
				x.Remediation[i].Status, x.Remediation[i].Done = "done", s.now().UTC()
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%w: no open remediation for %s %s", records.ErrNotFound, ref.Kind, ref.ID)
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	_, err = s.log.Append(ctx, ledger.MustEvent("dsr.remediated", tenant, actor, map[string]any{"request": id, "kind": ref.Kind, "id": ref.ID},
		ledger.Ref{Kind: "dsr", ID: id}))
	return r, err
}

func sortBy[T any](xs []T, key func(T) time.Time) {
	sort.SliceStable(xs, func(i, j int) bool { return key(xs[i]).Before(key(xs[j])) })
}
