package controls

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// folder adds one decoded event to the facts.
type folder func(f *Facts, idx uint64, e *ledger.Event)

// folds lists every low-volume event type the checks read, with how each
// is folded. The inference types have their own fast path (foldInference).
var folds = map[string]folder{
	"model.registered":         foldRegistered("model", "model"),
	"dataset.registered":       foldRegistered("dataset", "dataset"),
	"vendor.registered":        foldVendorRegistered,
	"model.version_registered": foldVersionRegistered,
	"model.signed":             foldSigned,
	"model.verified":           foldVerified,
	"eval.completed":           foldEval,
	"lineage.run":              foldLineage,
	"change.requested":         foldChangeRequested,
	"change.approved":          foldChangeApproved,
	"change.rejected":          foldChangeRejected,
	"change.emergency":         foldChangeEmergency,
	"change.reviewed":          foldChangeReviewed,
	"deploy.alias_moved":       foldDeploy,
	"drift.report":             foldDriftReport,
	"drift.alert":              foldDriftAlert,
	"drift.alert_closed":       foldDriftClosed,
	"vendor.reviewed":          foldVendorReviewed,
	"gateway.credential_rotated": func(f *Facts, idx uint64, e *ledger.Event) {
		if p := subject(e, "provider"); p != "" {
			f.provider(p).Rotated = mark(idx, e)
		}
	},
	"retention.run":           foldRetention,
	"dsr.opened":              foldDSROpened,
	"dsr.closed":              foldDSRClosed,
	"guard.policy_set":        foldGuard,
	"access_review.completed": func(f *Facts, idx uint64, e *ledger.Event) { f.LastReview = mark(idx, e) },
	"control.attested":        foldAttested,
	"key.created":             foldKeyCreated,
}

// foldKeyCreated records whose a human key is: its owner, or for keys
// minted before owners were recorded, the console user who minted it.
func foldKeyCreated(f *Facts, _ uint64, e *ledger.Event) {
	var b struct {
		ActorKind ledger.ActorKind `json:"actor_kind"`
		Owner     string           `json:"owner"`
	}
	body(e, &b)
	id := subject(e, "key")
	if id == "" || b.ActorKind != ledger.ActorHuman {
		return
	}
	switch {
	case b.Owner != "":
		f.Persons["key:"+id] = "user:" + b.Owner
	case strings.HasPrefix(e.Actor.ID, "user:"):
		f.Persons["key:"+id] = e.Actor.ID
	}
}

// Inference event types, folded by foldInference.
const (
	typeRequest  = "inference.request"
	typeResponse = "inference.response"
)

func mark(idx uint64, e *ledger.Event) *Mark { return &Mark{Index: idx, Time: e.Time} }

// subject returns the id of the event's first subject of kind.
func subject(e *ledger.Event, kind string) string {
	for _, s := range e.Subjects {
		if s.Kind == kind {
			return s.ID
		}
	}
	return ""
}

func subjects(e *ledger.Event, kind string) []string {
	var out []string
	for _, s := range e.Subjects {
		if s.Kind == kind && !slices.Contains(out, s.ID) {
			out = append(out, s.ID)
		}
	}
	return out
}

// body decodes the event body into v. Evidence written by other components
// may lack fields or carry ones we do not know; what decodes is used and
// the rest stays zero, which the checks treat as missing evidence.
func body(e *ledger.Event, v any) {
	if len(e.Body) > 0 {
		json.Unmarshal(e.Body, v)
	}
}

// flexTime accepts RFC 3339 times and plain dates; anything else is zero.
type flexTime struct{ time.Time }

func (t *flexTime) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return nil
}

func foldRegistered(kind, ref string) folder {
	return func(f *Facts, idx uint64, e *ledger.Event) {
		var b struct {
			Name string `json:"name"`
		}
		body(e, &b)
		id := subject(e, ref)
		if id == "" {
			id = b.Name
		}
		if id != "" {
			f.register(kind, id, idx)
		}
	}
}

func foldVendorRegistered(f *Facts, idx uint64, e *ledger.Event) {
	var b struct {
		Name      string   `json:"name"`
		Providers []string `json:"providers"`
	}
	body(e, &b)
	id := subject(e, "vendor")
	if id == "" {
		id = b.Name
	}
	if id == "" {
		return
	}
	f.register("vendor", id, idx)
	v := f.Vendors[id]
	if v == nil {
		v = &VendorFacts{}
		f.Vendors[id] = v
	}
	v.Registered = mark(idx, e)
	for _, p := range append(b.Providers, subjects(e, "provider")...) {
		if !slices.Contains(v.Providers, p) {
			v.Providers = append(v.Providers, p)
		}
		f.provider(p).Vendor = id
	}
}

func foldVersionRegistered(f *Facts, idx uint64, e *ledger.Event) {
	var b struct {
		Datasets   []string `json:"datasets"`
		LineageRun string   `json:"lineage_run"`
	}
	body(e, &b)
	for _, id := range subjects(e, "model_version") {
		f.register("model_version", id, idx)
		if len(b.Datasets) > 0 || b.LineageRun != "" {
			f.version(id).Lineage = mark(idx, e)
		}
	}
}

func foldSigned(f *Facts, idx uint64, e *ledger.Event) {
	for _, id := range subjects(e, "model_version") {
		f.version(id).Signed = mark(idx, e)
	}
}

func foldVerified(f *Facts, idx uint64, e *ledger.Event) {
	var b struct {
		Verified bool `json:"verified"`
	}
	body(e, &b)
	for _, id := range subjects(e, "model_version") {
		m := mark(idx, e)
		m.OK = b.Verified
		f.version(id).Verified = m
	}
}

func foldEval(f *Facts, idx uint64, e *ledger.Event) {
	var b struct {
		Passed *bool  `json:"passed"`
		Suite  string `json:"suite"`
	}
	body(e, &b)
	for _, id := range subjects(e, "model_version") {
		m := mark(idx, e)
		m.OK = b.Passed != nil && *b.Passed
		m.Note = b.Suite
		f.version(id).Evals = m
	}
}

func foldLineage(f *Facts, idx uint64, e *ledger.Event) {
	for _, id := range subjects(e, "model_version") {
		f.version(id).Lineage = mark(idx, e)
	}
	for _, d := range subjects(e, "dataset") {
		f.register("dataset", d, idx)
	}
}

// changeID is the change an event is about: its "change" subject, or the
// body's change_id.
func changeID(e *ledger.Event) string {
	if id := subject(e, "change"); id != "" {
		return id
	}
	var b struct {
		ChangeID string `json:"change_id"`
	}
	body(e, &b)
	return b.ChangeID
}

func addVersions(c *ChangeFacts, f *Facts, e *ledger.Event, id string) {
	for _, v := range subjects(e, "model_version") {
		if !slices.Contains(c.Versions, v) {
			c.Versions = append(c.Versions, v)
		}
		vf := f.version(v)
		if !slices.Contains(vf.Changes, id) {
			vf.Changes = append(vf.Changes, id)
		}
	}
}

func foldChangeRequested(f *Facts, idx uint64, e *ledger.Event) {
	id := changeID(e)
	if id == "" {
		return
	}
	c := f.change(id)
	c.Requested, c.Requester = mark(idx, e), e.Actor
	addVersions(c, f, e, id)
}

func foldChangeApproved(f *Facts, idx uint64, e *ledger.Event) {
	id := changeID(e)
	if id == "" {
		return
	}
	c := f.change(id)
	c.Approvals = append(c.Approvals, ApprovalRef{Mark: *mark(idx, e), Actor: e.Actor})
	addVersions(c, f, e, id)
}

func foldChangeRejected(f *Facts, idx uint64, e *ledger.Event) {
	if id := changeID(e); id != "" {
		f.change(id).Rejected = mark(idx, e)
	}
}

func foldChangeEmergency(f *Facts, idx uint64, e *ledger.Event) {
	id := changeID(e)
	if id == "" {
		return
	}
	c := f.change(id)
	c.Emergency = mark(idx, e)
	if c.Requested == nil {
		c.Requested, c.Requester = mark(idx, e), e.Actor
	}
	addVersions(c, f, e, id)
}

func foldChangeReviewed(f *Facts, idx uint64, e *ledger.Event) {
	if id := changeID(e); id != "" {
		c := f.change(id)
		c.Reviewed, c.Reviewer = mark(idx, e), e.Actor
	}
}

// isProduction reports whether a deployment targets production.
func isProduction(env, alias string) bool {
	env, alias = strings.ToLower(env), strings.ToLower(alias)
	return env == "production" || env == "prod" || alias == "production" || alias == "prod"
}

func foldDeploy(f *Facts, idx uint64, e *ledger.Event) {
	var b struct {
		Model        string `json:"model"`
		Alias        string `json:"alias"`
		Environment  string `json:"environment"`
		Version      string `json:"version"`
		ModelVersion string `json:"model_version"`
	}
	body(e, &b)
	v := subject(e, "model_version")
	if v == "" {
		v = b.ModelVersion
	}
	if v == "" && b.Model != "" && b.Version != "" {
		v = b.Model + "@" + b.Version
	}
	if v == "" || !isProduction(b.Environment, b.Alias) {
		return
	}
	model := b.Model
	if model == "" {
		model, _, _ = strings.Cut(v, "@")
	}
	alias := b.Alias
	if alias == "" {
		alias = b.Environment
	}
	f.Aliases[model+"/"+alias] = &AliasFacts{Model: model, Alias: alias, Version: v, Mark: *mark(idx, e)}
	f.version(v).Deployed = mark(idx, e)
	f.register("model", model, idx)
}

func foldDriftReport(f *Facts, idx uint64, e *ledger.Event) {
	key := subject(e, "model_version")
	if key == "" {
		key = "*"
	}
	f.DriftReports[key] = mark(idx, e)
}

// Default deadlines when an event does not state its own.
const (
	defaultDriftDue = 7 * Day
	defaultDSRDue   = 30 * Day
	defaultReview   = 365 * Day
)

func foldDriftAlert(f *Facts, idx uint64, e *ledger.Event) {
	var b struct {
		AlertID  string   `json:"alert_id"`
		Due      flexTime `json:"due"`
		Deadline flexTime `json:"deadline"`
	}
	body(e, &b)
	id := subject(e, "drift_alert")
	if id == "" {
		id = b.AlertID
	}
	if id == "" {
		return // an alert without an id can never be closed, so it cannot be judged
	}
	due := b.Due.Time
	if due.IsZero() {
		due = b.Deadline.Time
	}
	if due.IsZero() {
		due = e.Time.Add(defaultDriftDue)
	}
	f.DriftAlerts[id] = &DriftAlert{Opened: *mark(idx, e), Due: due, Version: subject(e, "model_version")}
}

func foldDriftClosed(f *Facts, idx uint64, e *ledger.Event) {
	var b struct {
		AlertID string `json:"alert_id"`
	}
	body(e, &b)
	id := subject(e, "drift_alert")
	if id == "" {
		id = b.AlertID
	}
	if a := f.DriftAlerts[id]; a != nil {
		a.Closed = mark(idx, e)
	}
}

func foldVendorReviewed(f *Facts, idx uint64, e *ledger.Event) {
	var b struct {
		Providers    []string        `json:"providers"`
		Expires      flexTime        `json:"expires"`
		CoveredUntil json.RawMessage `json:"covered_until"`
		AsOf         flexTime        `json:"as_of"`
	}
	body(e, &b)
	// The review is current until its report's coverage ends. A review
	// that says it found no report ("covered_until": "") covers nothing;
	// one that says nothing of coverage (reviews recorded before it was
	// written, or by other tools) counts for a year from its as-of date or
	// the event.
	var exp time.Time
	covered := false
	if len(b.CoveredUntil) > 0 && string(b.CoveredUntil) != "null" {
		covered = true
		var until flexTime
		if json.Unmarshal(b.CoveredUntil, &until) == nil {
			exp = until.Time
		}
	}
	if !b.Expires.IsZero() {
		exp = b.Expires.Time
	}
	if exp.IsZero() && !covered && !b.AsOf.IsZero() {
		exp = b.AsOf.Add(defaultReview)
	}
	if exp.IsZero() && !covered {
		exp = e.Time.Add(defaultReview)
	}
	m := mark(idx, e)
	vid := subject(e, "vendor")
	var provs []string
	if vid != "" {
		v := f.Vendors[vid]
		if v == nil {
			v = &VendorFacts{}
			f.Vendors[vid] = v
		}
		v.Review, v.Expires = m, exp
		provs = append(provs, v.Providers...)
	}
	provs = append(provs, b.Providers...)
	provs = append(provs, subjects(e, "provider")...)
	for _, p := range provs {
		pf := f.provider(p)
		pf.Review, pf.ReviewExpires = m, exp
		if vid != "" {
			pf.Vendor = vid
		}
	}
}

func foldRetention(f *Facts, idx uint64, e *ledger.Event) {
	var b struct {
		Job    string `json:"job"`
		Status string `json:"status"`
	}
	body(e, &b)
	job := b.Job
	if job == "" {
		job = "default"
	}
	m := mark(idx, e)
	m.OK = b.Status == "ok"
	m.Note = b.Status
	f.RetentionJobs[job] = m
}

func foldDSROpened(f *Facts, idx uint64, e *ledger.Event) {
	var b struct {
		Due flexTime `json:"due"`
	}
	body(e, &b)
	id := subject(e, "dsr")
	if id == "" {
		return
	}
	due := b.Due.Time
	if due.IsZero() {
		due = e.Time.Add(defaultDSRDue)
	}
	f.DSRs[id] = &DSRFacts{Opened: *mark(idx, e), Due: due}
}

func foldDSRClosed(f *Facts, idx uint64, e *ledger.Event) {
	if d := f.DSRs[subject(e, "dsr")]; d != nil {
		d.Closed = mark(idx, e)
	}
}

// foldGuard reads a guard.policy_set body (the guard package's policy
// summary): input guards are PII scanning and injection detection, the
// output guard is the output policy; an absent section is off.
func foldGuard(f *Facts, idx uint64, e *ledger.Event) {
	var b struct {
		PII       map[string]string `json:"pii"`
		Injection json.RawMessage   `json:"injection"`
		Output    json.RawMessage   `json:"output"`
		FailOpen  bool              `json:"fail_open"`
		Exception *struct {
			Reason  string   `json:"reason"`
			Expires flexTime `json:"expires"`
		} `json:"exception"`
	}
	body(e, &b)
	on := func(v bool) string {
		if v {
			return "on"
		}
		return "off"
	}
	set := func(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }
	g := &GuardFacts{Mark: *mark(idx, e), Input: on(len(b.PII) > 0 || set(b.Injection)), Output: on(set(b.Output)), FailOpen: b.FailOpen}
	if b.Exception != nil {
		g.ExceptionReason, g.ExceptionUntil = b.Exception.Reason, b.Exception.Expires.Time
	}
	f.Guards[e.Tenant] = g
}

func foldAttested(f *Facts, idx uint64, e *ledger.Event) {
	var b struct {
		Control  string   `json:"control"`
		Kind     string   `json:"kind"`
		Evidence string   `json:"evidence_sha256"`
		Expires  flexTime `json:"expires"`
	}
	body(e, &b)
	if b.Kind == AttestRemediation {
		return // remediation records belong to the history, not to operation
	}
	id := subject(e, "control")
	if id == "" {
		id = b.Control
	}
	if id == "" {
		return
	}
	f.Attestations[id] = &AttestationRef{Index: idx, Time: e.Time, Expires: b.Expires.Time, Actor: string(e.Actor.Kind) + ":" + e.Actor.ID, Evidence: b.Evidence}
}

// inferenceEntry is the part of an inference event the checks read.
type inferenceEntry struct {
	Time   time.Time     `json:"time"`
	Tenant string        `json:"tenant"`
	Type   string        `json:"type"`
	Body   inferenceBody `json:"body"`
}

type inferenceBody struct {
	KeyID      string `json:"key_id"`
	Retention  string `json:"retention"`
	PayloadRef string `json:"payload_ref"`
	Provider   string `json:"provider"`
	Status     int    `json:"status"`
	Error      string `json:"error"`
	FailOpen   bool   `json:"fail_open"`
}

// foldInference adds one inference.request or inference.response entry to
// the tenant's hourly counters.
func (f *Facts) foldInference(typ string, idx uint64, x *inferenceEntry, horizon time.Time) {
	if x.Body.KeyID != "" && typ == typeRequest {
		if m := f.KeysSeen[x.Body.KeyID]; m == nil || m.Index < idx {
			f.KeysSeen[x.Body.KeyID] = &Mark{Index: idx, Time: x.Time}
		}
	}
	if x.Time.Before(horizon) {
		return
	}
	b := f.bucket(x.Tenant, x.Time)
	tt := f.Tenants[x.Tenant]
	kept := x.Body.PayloadRef != ""
	switch typ {
	case typeRequest:
		b.Requests++
		tt.Mode = x.Body.Retention
		if kept {
			b.Bodies++
			b.BodiesIdx = appendBounded(b.BodiesIdx, idx)
			if x.Body.Retention == "zero" || x.Body.Retention == "" {
				b.Retained++
				b.RetainedIdx = appendBounded(b.RetainedIdx, idx)
			}
		}
	case typeResponse:
		b.Responses++
		if x.Body.Status >= 500 || strings.HasPrefix(x.Body.Error, "upstream") || x.Body.Error == "stream_timeout" {
			b.Errors++
		}
		if x.Body.FailOpen {
			b.FailOpen++
			b.FailOpenIdx = appendBounded(b.FailOpenIdx, idx)
		}
		if kept {
			b.Bodies++
			b.BodiesIdx = appendBounded(b.BodiesIdx, idx)
			if tt.Mode == "zero" {
				b.Retained++
				b.RetainedIdx = appendBounded(b.RetainedIdx, idx)
			}
		}
		if p := x.Body.Provider; p != "" {
			pf := f.provider(p)
			if pf.LastSeen == nil || pf.LastSeen.Index < idx {
				pf.LastSeen = &Mark{Index: idx, Time: x.Time}
			}
			f.register("provider", p, idx)
		}
	}
}
