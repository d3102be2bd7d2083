package console

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// explorerPage is how many entries one page of the evidence explorer shows.
const explorerPage = 50

type explorerFilter struct {
	Type        string
	SubjectKind string
	SubjectID   string
	From, To    string // dates, YYYY-MM-DD
}

func (f explorerFilter) empty() bool {
	return f == explorerFilter{}
}

type entryRow struct {
	Index    uint64
	Type     string
	Time     time.Time
	Tenant   string
	Actor    string
	Subjects []ledger.Ref
}

type explorerData struct {
	Filter  explorerFilter
	Rows    []entryRow
	Newest  bool // newest first, paged by index range
	Older   string
	Newer   string
	Next    string
	Size    uint64
	Problem string
}

// evidencePage is the evidence explorer. Without filters it reads the
// newest entries by index range; with filters it pages through the
// store's indexes in index order. Either way one page is one bounded read.
func (c *Console) evidencePage(w http.ResponseWriter, r *http.Request, v *viewer) {
	q := r.URL.Query()
	f := explorerFilter{Type: clip(q.Get("type"), 128), SubjectKind: clip(q.Get("subject_kind"), 128), SubjectID: clip(q.Get("subject_id"), 256),
		From: clip(q.Get("from"), 10), To: clip(q.Get("to"), 10)}
	d := explorerData{Filter: f}
	render := func() {
		c.render(w, r, http.StatusOK, "evidence", &view{V: v, Title: "Evidence", Nav: "evidence", Data: d})
	}
	ctx := r.Context()
	// The shared log's size: on a replica, entries others appended too.
	size, err := c.d.Log.Latest(ctx)
	if err != nil {
		c.fail(w, r, v, http.StatusServiceUnavailable, "The ledger cannot be read right now. Try again in a moment.")
		return
	}
	d.Size = size
	var raw []ledger.RawEntry
	if f.empty() && v.User.Role.CrossTenant() {
		d.Newest = true
		end := d.Size
		if b, perr := strconv.ParseUint(q.Get("before"), 10, 64); perr == nil && b < end {
			end = b
		}
		start := uint64(0)
		if end > explorerPage {
			start = end - explorerPage
		}
		if end > 0 {
			raw, err = c.d.Store.LedgerEntries(ctx, start, int(end-start))
		}
		if start > 0 {
			d.Older = "?before=" + strconv.FormatUint(start, 10)
		}
		if end < d.Size {
			d.Newer = "?before=" + strconv.FormatUint(min(end+explorerPage, d.Size), 10)
		}
	} else {
		lq, problem := explorerQuery(f, q.Get("after"), v.principal())
		if problem != "" {
			d.Problem = problem
			render()
			return
		}
		raw, err = c.d.Store.QueryLedger(ctx, lq)
		if err == nil && len(raw) == lq.Limit {
			nq := r.URL.Query()
			nq.Set("after", strconv.FormatUint(raw[len(raw)-1].Index, 10))
			d.Next = "?" + nq.Encode()
		}
	}
	if err != nil {
		c.internal(w, r, v, err)
		return
	}
	names := c.keyNames(ctx, v)
	for _, e := range raw {
		ev, err := ledger.ParseEntryData(e.Data)
		if err != nil {
			continue
		}
		actor := string(ev.Actor.Kind) + " " + ev.Actor.ID
		if n, ok := names[strings.TrimPrefix(ev.Actor.ID, "key:")]; ok && strings.HasPrefix(ev.Actor.ID, "key:") {
			actor += " (" + n + ")"
		}
		d.Rows = append(d.Rows, entryRow{Index: e.Index, Type: ev.Type, Time: ev.Time, Tenant: ev.Tenant, Actor: actor, Subjects: ev.Subjects})
	}
	if d.Newest {
		for i, j := 0, len(d.Rows)-1; i < j; i, j = i+1, j-1 {
			d.Rows[i], d.Rows[j] = d.Rows[j], d.Rows[i]
		}
	}
	render()
}

// explorerQuery turns the filter into an indexed ledger query, scoped to the
// viewer's tenant unless their role reads every tenant.
func explorerQuery(f explorerFilter, after string, p access.Principal) (ledger.Query, string) {
	lq := ledger.Query{Type: f.Type, Limit: explorerPage}
	if !p.Role.CrossTenant() {
		lq.Tenant = p.Tenant
	}
	if (f.SubjectKind == "") != (f.SubjectID == "") {
		return lq, "A subject filter needs both a kind and an id, for example kind model_version and id support-bot@1.4."
	}
	if f.SubjectKind != "" {
		lq.Subject = &ledger.Ref{Kind: f.SubjectKind, ID: f.SubjectID}
	}
	for _, x := range []struct {
		s   string
		dst *time.Time
	}{{f.From, &lq.From}, {f.To, &lq.To}} {
		if x.s == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", x.s)
		if err != nil {
			return lq, "Dates must look like 2026-01-31."
		}
		*x.dst = t
	}
	if !lq.To.IsZero() {
		lq.To = lq.To.Add(24 * time.Hour) // the "to" day is included
	}
	if after != "" {
		a, err := strconv.ParseUint(after, 10, 64)
		if err != nil {
			return lq, "The page cursor is not valid; start again from the first page."
		}
		lq.After = &a
	}
	return lq, ""
}

type entryData struct {
	Index    uint64
	Event    ledger.Event
	Body     string
	LeafHash string
	Verify   *verifyResult
}

// entry reads one entry the viewer may see.
func (c *Console) entry(ctx context.Context, v *viewer, idx uint64) (ledger.RawEntry, ledger.Event, error) {
	es, err := c.d.Store.LedgerEntries(ctx, idx, 1)
	if err != nil {
		return ledger.RawEntry{}, ledger.Event{}, err
	}
	if len(es) != 1 {
		return ledger.RawEntry{}, ledger.Event{}, ErrNotFound
	}
	ev, err := ledger.ParseEntryData(es[0].Data)
	if err != nil {
		return ledger.RawEntry{}, ledger.Event{}, err
	}
	if !v.User.Role.CrossTenant() && ev.Tenant != v.User.Tenant {
		return ledger.RawEntry{}, ledger.Event{}, ErrNotFound
	}
	return es[0], ev, nil
}

func (c *Console) entryData(w http.ResponseWriter, r *http.Request, v *viewer) (*entryData, ledger.RawEntry, bool) {
	idx, err := strconv.ParseUint(r.PathValue("index"), 10, 64)
	if err != nil {
		c.fail(w, r, v, http.StatusBadRequest, "An entry index is a non-negative number.")
		return nil, ledger.RawEntry{}, false
	}
	raw, ev, err := c.entry(r.Context(), v, idx)
	if errors.Is(err, ErrNotFound) {
		c.fail(w, r, v, http.StatusNotFound, fmt.Sprintf("There is no entry %d.", idx))
		return nil, raw, false
	}
	if err != nil {
		c.internal(w, r, v, err)
		return nil, raw, false
	}
	d := &entryData{Index: idx, Event: ev, LeafHash: b64(tlog.RecordHash(raw.Data))}
	if len(ev.Body) > 0 {
		var buf bytes.Buffer
		if json.Indent(&buf, ev.Body, "", "  ") == nil {
			d.Body = buf.String()
		}
	}
	return d, raw, true
}

func (c *Console) entryPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, _, ok := c.entryData(w, r, v)
	if !ok {
		return
	}
	c.render(w, r, http.StatusOK, "entry", &view{V: v, Title: fmt.Sprintf("Entry %d", d.Index), Nav: "evidence", Data: d})
}

// verifyPage proves the entry against the newest signed checkpoint and
// checks the proof on the server, exactly as an outside verifier would:
// the checkpoint's signature under the ledger key, the proof's size, and
// the path from the entry's own bytes to the signed root.
func (c *Console) verifyPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, raw, ok := c.entryData(w, r, v)
	if !ok {
		return
	}
	res, err := c.verify(r.Context(), raw)
	if err != nil {
		c.internal(w, r, v, err)
		return
	}
	d.Verify = &res
	c.render(w, r, http.StatusOK, "entry", &view{V: v, Title: fmt.Sprintf("Entry %d", d.Index), Nav: "evidence", Data: d})
}

// verifyResult is the outcome of an inclusion check, with everything a
// reader needs to repeat it.
type verifyResult struct {
	Index      uint64
	OK         bool
	Verdict    string
	LeafHash   string
	Hashes     []string
	Checkpoint string
	CPSize     uint64
	CPTime     time.Time
	Root       string
}

func (c *Console) verify(ctx context.Context, e ledger.RawEntry) (verifyResult, error) {
	res := verifyResult{Index: e.Index, LeafHash: b64(tlog.RecordHash(e.Data))}
	cp, err := c.d.Store.LatestCheckpoint(ctx)
	if errors.Is(err, ledger.ErrNotFound) {
		res.Verdict = "No checkpoint has been signed yet, so there is nothing to prove against. The server signs one on its schedule."
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.Checkpoint, res.CPSize, res.CPTime, res.Root = string(cp.Note), cp.Size, cp.Time, b64(cp.Root)
	if e.Index >= cp.Size {
		res.Verdict = fmt.Sprintf("Entry %d is newer than the newest signed checkpoint (size %d). It can be proven once the next checkpoint is signed.", e.Index, cp.Size)
		return res, nil
	}
	proof, err := c.d.Log.InclusionProof(ctx, e.Index, cp.Size)
	if err != nil {
		return res, fmt.Errorf("prove entry %d: %w", e.Index, err)
	}
	leaf, err := c.d.Log.LeafHash(ctx, e.Index)
	if err != nil {
		return res, fmt.Errorf("leaf hash %d: %w", e.Index, err)
	}
	for _, h := range proof {
		res.Hashes = append(res.Hashes, b64(h))
	}
	claim := ledger.InclusionClaim{Index: e.Index, Size: cp.Size, LeafHash: b64(leaf), Hashes: res.Hashes, Checkpoint: string(cp.Note)}
	if err := claim.Verify(c.d.VerifierKey, e.Data); err != nil {
		res.Verdict = "Verification FAILED: " + err.Error() + ". Treat this entry as untrustworthy and run 'attest ledger verify'."
		return res, nil
	}
	res.OK = true
	res.Verdict = fmt.Sprintf("Verified: entry %d is included in the ledger of size %d, whose root is signed by %s.", e.Index, cp.Size, keyName(c.d.VerifierKey))
	return res, nil
}

func keyName(vkey string) string {
	name, _, _ := strings.Cut(vkey, "+")
	return name
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

// keyNames maps the ids of the API keys the viewer may see to their names,
// so that entries written with a key say whose it is. Without them the id
// alone is shown.
func (c *Console) keyNames(ctx context.Context, v *viewer) map[string]string {
	ks, err := c.d.Access.Keys(ctx, v.principal(), "")
	if err != nil {
		return nil
	}
	out := make(map[string]string, len(ks))
	for _, k := range ks {
		out[k.ID] = k.Name
	}
	return out
}
