package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

func (s *Server) checkpoint(w http.ResponseWriter, r *http.Request) {
	c, err := s.d.Store.LatestCheckpoint(r.Context())
	if errors.Is(err, ledger.ErrNotFound) {
		WriteProblem(w, r, http.StatusNotFound, "no-checkpoint", "no checkpoint has been published yet; POST /api/v1/ledger/checkpoints publishes one")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(c.Note)
}

// tile serves C2SP tiles and entry bundles. Full tiles never change, so they
// are cacheable forever.
func (s *Server) tile(w http.ResponseWriter, r *http.Request) {
	level, index, width, err := ledger.ParseTilePath(r.PathValue("path"))
	if err != nil {
		WriteProblem(w, r, http.StatusBadRequest, "bad-tile-path", err.Error())
		return
	}
	var data []byte
	if level < 0 {
		// Hash tiles and checkpoints reveal nothing, but an entry bundle
		// holds every tenant's events, so it is for keys that may read
		// across tenants; a tenant's own events are at /api/v1/ledger/events.
		if p, _ := PrincipalFrom(r.Context()); !p.Role.CrossTenant() {
			WriteProblem(w, r, http.StatusForbidden, "other-tenant", "entry bundles hold the events of every tenant: read them with an admin or auditor key, or this tenant's events at /api/v1/ledger/events; hash tiles and checkpoints need no such key")
			return
		}
		data, err = s.entryBundle(r, index, width)
	} else {
		data, err = s.d.Log.Tile(r.Context(), uint64(level), index, width)
	}
	if errors.Is(err, ledger.ErrNotFound) {
		WriteProblem(w, r, http.StatusNotFound, "no-such-tile", err.Error())
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if width == 256 {
		// A full tile never changes. Entry bundles hold events, so shared
		// caches must not keep them for other callers.
		scope := "public"
		if level < 0 {
			scope = "private"
		}
		w.Header().Set("Cache-Control", scope+", max-age=31536000, immutable")
	}
	w.Write(data)
}

func (s *Server) entryBundle(r *http.Request, index uint64, width int) ([]byte, error) {
	start := index * 256
	if index < 1<<48 {
		// Another replica may have appended the entries.
		if err := s.d.Log.CatchUp(r.Context(), start+uint64(width)); err != nil {
			return nil, err
		}
	}
	if start+uint64(width) > s.d.Log.Size() {
		return nil, fmt.Errorf("%w: entry bundle %d width %d is beyond the tree", ledger.ErrNotFound, index, width)
	}
	es, err := s.d.Store.LedgerEntries(r.Context(), start, width)
	if err != nil {
		return nil, err
	}
	if len(es) != width {
		return nil, fmt.Errorf("entry bundle %d: store returned %d of %d entries", index, len(es), width)
	}
	var out []byte
	for _, e := range es {
		out = append(out, byte(len(e.Data)>>8), byte(len(e.Data)))
		out = append(out, e.Data...)
	}
	return out, nil
}

// eventRequest is the body of POST /api/v1/ledger/events. The actor and the
// time come from the credential and the clock, never from the body.
type eventRequest struct {
	Type     string          `json:"type"`
	Tenant   string          `json:"tenant,omitempty"`
	Subjects []ledger.Ref    `json:"subjects,omitempty"`
	Body     json.RawMessage `json:"body,omitempty"`
}

type eventResponse struct {
	Index    uint64          `json:"index"`
	LeafHash string          `json:"leaf_hash,omitempty"`
	Event    json.RawMessage `json:"event"`
}

func (s *Server) appendEvent(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	var req eventRequest
	if !decodeJSON(w, r, s.d.MaxBodyBytes, &req) {
		return
	}
	if ns := reservedNamespace(req.Type); ns != "" {
		WriteProblem(w, r, http.StatusForbidden, "reserved-event-type", fmt.Sprintf(
			"event type %q is in the %s namespace, which only attest's own services write, because the controls read it as evidence; record it through its own API (docs/API.md), or give your event a namespace of its own, such as acme.%s", req.Type, ns, req.Type[len(ns)+1:]))
		return
	}
	tenant, ok := s.tenantFor(w, r, p, req.Tenant)
	if !ok {
		return
	}
	e := ledger.Event{Type: req.Type, Tenant: tenant, Actor: p.Actor(), Subjects: req.Subjects, Body: req.Body}
	idx, err := s.d.Log.Append(r.Context(), e)
	if errors.Is(err, ledger.ErrInvalidEvent) {
		WriteProblem(w, r, http.StatusUnprocessableEntity, "invalid-event", err.Error())
		return
	}
	if err != nil {
		WriteProblem(w, r, http.StatusServiceUnavailable, "ledger-unavailable", "the event could not be made durable; nothing was recorded, retry later")
		return
	}
	s.writeEntry(w, r, http.StatusCreated, idx)
}

// tenantFor resolves which tenant a request acts on: its own, or any for
// cross-tenant roles.
func (s *Server) tenantFor(w http.ResponseWriter, r *http.Request, p access.Principal, asked string) (string, bool) {
	return resolveTenant(w, r, p, asked)
}

// QueryTenant resolves the tenant a request names with ?tenant= for APIs
// mounted outside this package: the key's own when none is named, the
// named one for admin and auditor keys, and otherwise a 403 written to w
// and false.
func QueryTenant(w http.ResponseWriter, r *http.Request) (string, bool) {
	p, _ := PrincipalFrom(r.Context())
	return resolveTenant(w, r, p, r.URL.Query().Get("tenant"))
}

func resolveTenant(w http.ResponseWriter, r *http.Request, p access.Principal, asked string) (string, bool) {
	if asked == "" || asked == p.Tenant {
		return p.Tenant, true
	}
	if p.Role.CrossTenant() {
		return asked, true
	}
	WriteProblem(w, r, http.StatusForbidden, "other-tenant", "this key belongs to tenant "+p.Tenant+" and cannot act on another tenant")
	return "", false
}

func (s *Server) writeEntry(w http.ResponseWriter, r *http.Request, status int, idx uint64) {
	es, err := s.d.Store.LedgerEntries(r.Context(), idx, 1)
	if err != nil || len(es) != 1 {
		s.internal(w, r, fmt.Errorf("read entry %d: %v", idx, err))
		return
	}
	h := tlog.RecordHash(es[0].Data)
	writeJSON(w, status, eventResponse{Index: idx, LeafHash: base64.StdEncoding.EncodeToString(h[:]), Event: es[0].Data})
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	idx, err := strconv.ParseUint(r.PathValue("index"), 10, 64)
	if err != nil {
		WriteProblem(w, r, http.StatusBadRequest, "bad-index", "the index must be a non-negative integer")
		return
	}
	es, err := s.d.Store.LedgerEntries(r.Context(), idx, 1)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if len(es) != 1 || !s.visible(p, es[0].Data) {
		WriteProblem(w, r, http.StatusNotFound, "no-such-entry", fmt.Sprintf("no entry %d", idx))
		return
	}
	s.writeEntry(w, r, http.StatusOK, idx)
}

// visible hides other tenants' entries from tenant-scoped roles.
func (s *Server) visible(p access.Principal, data []byte) bool {
	if p.Role.CrossTenant() {
		return true
	}
	e, err := ledger.ParseEntryData(data)
	return err == nil && e.Tenant == p.Tenant
}

type queryResponse struct {
	Events []eventResponse `json:"events"`
	// Next is the cursor for the following page, absent on the last page.
	Next *uint64 `json:"next,omitempty"`
}

func (s *Server) queryEvents(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	q := r.URL.Query()
	lq := ledger.Query{Type: q.Get("type"), Limit: 100}
	tenant, ok := s.tenantFor(w, r, p, q.Get("tenant"))
	if !ok {
		return
	}
	if q.Get("tenant") != "" || !p.Role.CrossTenant() {
		lq.Tenant = tenant
	}
	if k, id := q.Get("subject_kind"), q.Get("subject_id"); k != "" || id != "" {
		if k == "" || id == "" {
			WriteProblem(w, r, http.StatusBadRequest, "bad-query", "subject_kind and subject_id go together")
			return
		}
		lq.Subject = &ledger.Ref{Kind: k, ID: id}
	}
	for name, dst := range map[string]*time.Time{"from": &lq.From, "to": &lq.To} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				WriteProblem(w, r, http.StatusBadRequest, "bad-query", name+" must be an RFC 3339 time such as 2026-01-31T00:00:00Z")
				return
			}
			*dst = t
		}
	}
	if v := q.Get("after"); v != "" {
		a, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			WriteProblem(w, r, http.StatusBadRequest, "bad-query", "after must be the index cursor from the previous page")
			return
		}
		lq.After = &a
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			WriteProblem(w, r, http.StatusBadRequest, "bad-query", "limit must be between 1 and 1000")
			return
		}
		lq.Limit = n
	}
	es, err := s.d.Store.QueryLedger(r.Context(), lq)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	resp := queryResponse{Events: make([]eventResponse, 0, len(es))}
	for _, e := range es {
		h := tlog.RecordHash(e.Data)
		resp.Events = append(resp.Events, eventResponse{Index: e.Index, LeafHash: base64.StdEncoding.EncodeToString(h[:]), Event: e.Data})
	}
	if len(es) == lq.Limit {
		last := es[len(es)-1].Index
		resp.Next = &last
	}
	writeJSON(w, http.StatusOK, resp)
}

func parseUintParam(w http.ResponseWriter, r *http.Request, name string, def uint64) (uint64, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		WriteProblem(w, r, http.StatusBadRequest, "bad-query", name+" must be a non-negative integer")
		return 0, false
	}
	return n, true
}

func hashes(p []tlog.Hash) []string {
	out := make([]string, len(p))
	for i, h := range p {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

type proofResponse struct {
	Index      uint64   `json:"index,omitempty"`
	From       uint64   `json:"from,omitempty"`
	Size       uint64   `json:"size"`
	LeafHash   string   `json:"leaf_hash,omitempty"`
	Hashes     []string `json:"hashes"`
	Checkpoint string   `json:"checkpoint,omitempty"`
}

// inclusionProof proves an entry against the newest checkpoint, or against
// ?size= if given.
func (s *Server) inclusionProof(w http.ResponseWriter, r *http.Request) {
	idx, ok := parseUintParam(w, r, "index", 0)
	if !ok {
		return
	}
	if r.URL.Query().Get("index") == "" {
		WriteProblem(w, r, http.StatusBadRequest, "bad-query", "index is required")
		return
	}
	var note string
	size, ok := parseUintParam(w, r, "size", 0)
	if !ok {
		return
	}
	if size == 0 {
		c, err := s.d.Store.LatestCheckpoint(r.Context())
		if err != nil {
			WriteProblem(w, r, http.StatusNotFound, "no-checkpoint", "no checkpoint yet; publish one first")
			return
		}
		size, note = c.Size, string(c.Note)
	}
	p, err := s.d.Log.InclusionProof(r.Context(), idx, size)
	if errors.Is(err, ledger.ErrBadRange) {
		WriteProblem(w, r, http.StatusBadRequest, "out-of-range", err.Error()+"; entries newer than the checkpoint are proven once the next checkpoint is published")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	leaf, err := s.d.Log.LeafHash(r.Context(), idx)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, proofResponse{Index: idx, Size: size, LeafHash: base64.StdEncoding.EncodeToString(leaf[:]), Hashes: hashes(p), Checkpoint: note})
}

func (s *Server) consistencyProof(w http.ResponseWriter, r *http.Request) {
	from, ok := parseUintParam(w, r, "from", 0)
	if !ok {
		return
	}
	latest, err := s.d.Log.Latest(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	to, ok := parseUintParam(w, r, "to", latest)
	if !ok {
		return
	}
	p, err := s.d.Log.ConsistencyProof(r.Context(), from, to)
	if errors.Is(err, ledger.ErrBadRange) {
		WriteProblem(w, r, http.StatusBadRequest, "out-of-range", err.Error())
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, proofResponse{From: from, Size: to, Hashes: hashes(p)})
}

type checkpointJSON struct {
	Size uint64    `json:"size"`
	Root string    `json:"root"`
	Time time.Time `json:"time"`
	Note string    `json:"note"`
}

func toJSON(c ledger.Checkpoint) checkpointJSON {
	return checkpointJSON{Size: c.Size, Root: base64.StdEncoding.EncodeToString(c.Root[:]), Time: c.Time, Note: string(c.Note)}
}

func (s *Server) listCheckpoints(w http.ResponseWriter, r *http.Request) {
	from, ok := parseUintParam(w, r, "from", 0)
	if !ok {
		return
	}
	to, ok := parseUintParam(w, r, "to", 1<<62)
	if !ok {
		return
	}
	cs, err := s.d.Store.Checkpoints(r.Context(), from, to)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := make([]checkpointJSON, len(cs))
	for i, c := range cs {
		out[i] = toJSON(c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"checkpoints": out})
}

func (s *Server) publishCheckpoint(w http.ResponseWriter, r *http.Request) {
	c, err := s.d.Signer.Publish(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toJSON(c))
}

func (s *Server) verifierKey(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(s.d.VerifierKey + "\n"))
}

// internal logs an unexpected error and answers 500 without details.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	rid := w.Header().Get("X-Request-Id")
	s.d.Logger.Error("request failed", "request_id", rid, "route", r.Pattern, "err", err)
	WriteProblem(w, r, http.StatusInternalServerError, "internal", "an internal error occurred; the request id is "+rid)
}
