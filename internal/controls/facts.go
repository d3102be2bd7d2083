package controls

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// Facts is what the checks need from the ledger, folded incrementally.
// Each feed (one event type) keeps a cursor, so an evaluation reads only
// entries it has not seen, through the store's (type, index) index, and
// never rescans the whole ledger. Facts are saved after every evaluation.
//
// High-volume inference traffic is kept only as hourly counters for the
// last trafficDays days; the checks judge the last day of it.
type Facts struct {
	// Schema changes when the shape of Facts changes; saved facts of
	// another schema are rebuilt.
	Schema int `json:"schema"`
	// Cursors maps an event type to the last index folded.
	Cursors map[string]uint64 `json:"cursors"`
	// Size is the ledger size the facts are complete up to.
	Size uint64 `json:"size"`

	Versions      map[string]*VersionFacts     `json:"versions"`
	Changes       map[string]*ChangeFacts      `json:"changes"`
	Aliases       map[string]*AliasFacts       `json:"aliases"`
	Providers     map[string]*ProviderFacts    `json:"providers"`
	Vendors       map[string]*VendorFacts      `json:"vendors"`
	RetentionJobs map[string]*Mark             `json:"retention_jobs"`
	DriftReports  map[string]*Mark             `json:"drift_reports"`
	DriftAlerts   map[string]*DriftAlert       `json:"drift_alerts"`
	DSRs          map[string]*DSRFacts         `json:"dsrs"`
	Guards        map[string]*GuardFacts       `json:"guards"`
	Attestations  map[string]*AttestationRef   `json:"attestations"`
	LastReview    *Mark                        `json:"last_review,omitempty"`
	Tenants       map[string]*TenantTraffic    `json:"tenants"`
	KeysSeen      map[string]*Mark             `json:"keys_seen"`
	Registered    map[string]map[string]uint64 `json:"registered"` // kind -> id -> index
	// Persons maps a human key's actor id ("key:<id>") to the console
	// user it belongs to ("user:<name>"), from key.created evidence, so
	// separation of duties counts one person's keys and login as one.
	Persons map[string]string `json:"persons"`
}

// factsSchema is the current Facts schema.
const factsSchema = 2

// trafficDays is how much inference traffic the facts keep.
const trafficDays = 8

// Mark is a point in the ledger: an entry's index and time, with an
// outcome where the event has one.
type Mark struct {
	Index uint64    `json:"index"`
	Time  time.Time `json:"time"`
	OK    bool      `json:"ok,omitempty"`
	Note  string    `json:"note,omitempty"`
}

// VersionFacts is what the ledger says about one model version.
type VersionFacts struct {
	Signed   *Mark    `json:"signed,omitempty"`
	Verified *Mark    `json:"verified,omitempty"` // newest verification; OK is the outcome
	Evals    *Mark    `json:"evals,omitempty"`    // newest evaluation; OK is passed
	Lineage  *Mark    `json:"lineage,omitempty"`  // registration that named datasets or a lineage run
	Changes  []string `json:"changes,omitempty"`
	Deployed *Mark    `json:"deployed,omitempty"` // newest production deployment
}

// ChangeFacts is one change request and its decisions.
type ChangeFacts struct {
	Requested *Mark         `json:"requested,omitempty"`
	Requester ledger.Actor  `json:"requester"`
	Versions  []string      `json:"versions,omitempty"`
	Approvals []ApprovalRef `json:"approvals,omitempty"`
	Rejected  *Mark         `json:"rejected,omitempty"`
	Emergency *Mark         `json:"emergency,omitempty"`
	Reviewed  *Mark         `json:"reviewed,omitempty"`
	Reviewer  ledger.Actor  `json:"reviewer"`
}

// ApprovalRef is one approval of a change.
type ApprovalRef struct {
	Mark
	Actor ledger.Actor `json:"actor"`
}

// AliasFacts is where a production alias points.
type AliasFacts struct {
	Model   string `json:"model"`
	Alias   string `json:"alias"`
	Version string `json:"version"`
	Mark
}

// ProviderFacts is what the ledger says about one gateway provider.
type ProviderFacts struct {
	LastSeen *Mark `json:"last_seen,omitempty"`
	Rotated  *Mark `json:"rotated,omitempty"`
	Review   *Mark `json:"review,omitempty"` // newest vendor review naming it
	// ReviewExpires is when that review stops being current.
	ReviewExpires time.Time `json:"review_expires,omitzero"`
	Vendor        string    `json:"vendor,omitempty"`
}

// VendorFacts is a registered vendor and the providers it supplies.
type VendorFacts struct {
	Registered *Mark     `json:"registered,omitempty"`
	Providers  []string  `json:"providers,omitempty"`
	Review     *Mark     `json:"review,omitempty"`
	Expires    time.Time `json:"expires,omitzero"`
}

// DriftAlert is an open or closed drift alert.
type DriftAlert struct {
	Opened  Mark      `json:"opened"`
	Due     time.Time `json:"due"`
	Closed  *Mark     `json:"closed,omitempty"`
	Version string    `json:"version,omitempty"`
}

// DSRFacts is one data subject request.
type DSRFacts struct {
	Opened Mark      `json:"opened"`
	Due    time.Time `json:"due"`
	Closed *Mark     `json:"closed,omitempty"`
}

// GuardFacts is a tenant's newest guard policy.
type GuardFacts struct {
	Mark
	Input           string    `json:"input"`  // "on" or "off"
	Output          string    `json:"output"` // "on" or "off"
	FailOpen        bool      `json:"fail_open,omitempty"`
	ExceptionReason string    `json:"exception_reason,omitempty"`
	ExceptionUntil  time.Time `json:"exception_until,omitzero"`
}

// TenantTraffic is a tenant's recent inference traffic in hourly buckets.
type TenantTraffic struct {
	// Mode is the retention mode of the tenant's newest request.
	Mode  string            `json:"mode,omitempty"`
	Hours map[int64]*Bucket `json:"hours"` // key: unix hour
}

// Bucket counts one hour of a tenant's inference traffic.
type Bucket struct {
	Requests  int `json:"requests,omitempty"`
	Responses int `json:"responses,omitempty"`
	Errors    int `json:"errors,omitempty"`
	// Bodies counts entries that kept a body (a vault payload reference);
	// Retained counts those among them whose request asked for zero
	// retention. The Idx lists hold the first few of each.
	Bodies      int      `json:"bodies,omitempty"`
	BodiesIdx   []uint64 `json:"bodies_idx,omitempty"`
	Retained    int      `json:"retained,omitempty"`
	RetainedIdx []uint64 `json:"retained_idx,omitempty"`
	FailOpen    int      `json:"fail_open,omitempty"`
	FailOpenIdx []uint64 `json:"fail_open_idx,omitempty"`
}

// maxBucketIdx bounds the indexes one bucket keeps per finding.
const maxBucketIdx = 5

// NewFacts returns empty facts.
func NewFacts() *Facts {
	f := &Facts{Schema: factsSchema}
	f.init()
	return f
}

// init makes every map usable, also after decoding saved facts.
func (f *Facts) init() {
	if f.Cursors == nil {
		f.Cursors = map[string]uint64{}
	}
	if f.Versions == nil {
		f.Versions = map[string]*VersionFacts{}
	}
	if f.Changes == nil {
		f.Changes = map[string]*ChangeFacts{}
	}
	if f.Aliases == nil {
		f.Aliases = map[string]*AliasFacts{}
	}
	if f.Providers == nil {
		f.Providers = map[string]*ProviderFacts{}
	}
	if f.Vendors == nil {
		f.Vendors = map[string]*VendorFacts{}
	}
	if f.RetentionJobs == nil {
		f.RetentionJobs = map[string]*Mark{}
	}
	if f.DriftReports == nil {
		f.DriftReports = map[string]*Mark{}
	}
	if f.DriftAlerts == nil {
		f.DriftAlerts = map[string]*DriftAlert{}
	}
	if f.DSRs == nil {
		f.DSRs = map[string]*DSRFacts{}
	}
	if f.Guards == nil {
		f.Guards = map[string]*GuardFacts{}
	}
	if f.Attestations == nil {
		f.Attestations = map[string]*AttestationRef{}
	}
	if f.Tenants == nil {
		f.Tenants = map[string]*TenantTraffic{}
	}
	if f.KeysSeen == nil {
		f.KeysSeen = map[string]*Mark{}
	}
	if f.Registered == nil {
		f.Registered = map[string]map[string]uint64{}
	}
	if f.Persons == nil {
		f.Persons = map[string]string{}
	}
}

// person is who stands behind an actor: the owner of a human key, or the
// actor itself.
func (f *Facts) person(a ledger.Actor) string {
	if p, ok := f.Persons[a.ID]; ok {
		return p
	}
	return a.ID
}

// DecodeFacts reads saved facts. Facts of an older schema, or that do not
// decode, are discarded so the engine rebuilds them.
func DecodeFacts(b []byte) (*Facts, bool) {
	var f Facts
	if err := json.Unmarshal(b, &f); err != nil || f.Schema != factsSchema {
		return nil, false
	}
	f.init()
	return &f, true
}

func (f *Facts) version(id string) *VersionFacts {
	v := f.Versions[id]
	if v == nil {
		v = &VersionFacts{}
		f.Versions[id] = v
	}
	return v
}

func (f *Facts) change(id string) *ChangeFacts {
	c := f.Changes[id]
	if c == nil {
		c = &ChangeFacts{}
		f.Changes[id] = c
	}
	return c
}

func (f *Facts) provider(id string) *ProviderFacts {
	p := f.Providers[id]
	if p == nil {
		p = &ProviderFacts{}
		f.Providers[id] = p
	}
	return p
}

func (f *Facts) bucket(tenant string, t time.Time) *Bucket {
	tt := f.Tenants[tenant]
	if tt == nil {
		tt = &TenantTraffic{Hours: map[int64]*Bucket{}}
		f.Tenants[tenant] = tt
	}
	h := t.Unix() / 3600
	b := tt.Hours[h]
	if b == nil {
		b = &Bucket{}
		tt.Hours[h] = b
	}
	return b
}

// register remembers a component the ledger introduced.
func (f *Facts) register(kind, id string, idx uint64) {
	m := f.Registered[kind]
	if m == nil {
		m = map[string]uint64{}
		f.Registered[kind] = m
	}
	if _, ok := m[id]; !ok {
		m[id] = idx
	}
}

// keepDays is how long settled facts are kept: longer than the longest
// observation window, so a year's history is always complete.
const keepDays = 400

// prune drops traffic older than trafficDays and settled facts older than
// keepDays, so saved facts stay bounded however long the ledger grows.
// Anything still able to fail a check is kept: versions in production and
// their changes, unreviewed emergency changes, open alerts and requests.
func (f *Facts) prune(now time.Time) {
	oldest := now.Add(-trafficDays*Day).Unix() / 3600
	for t, tt := range f.Tenants {
		for h := range tt.Hours {
			if h < oldest {
				delete(tt.Hours, h)
			}
		}
		if len(tt.Hours) == 0 && tt.Mode == "" {
			delete(f.Tenants, t)
		}
	}
	cutoff := now.Add(-keepDays * Day)
	live := map[string]bool{}
	for _, a := range f.Aliases {
		live[a.Version] = true
		if v := f.Versions[a.Version]; v != nil {
			for _, c := range v.Changes {
				live["change:"+c] = true
			}
		}
	}
	for id, v := range f.Versions {
		if !live[id] && !latest(v.Signed, v.Verified, v.Evals, v.Lineage, v.Deployed).After(cutoff) {
			delete(f.Versions, id)
		}
	}
	for id, c := range f.Changes {
		marks := []*Mark{c.Requested, c.Rejected, c.Emergency, c.Reviewed}
		for i := range c.Approvals {
			marks = append(marks, &c.Approvals[i].Mark)
		}
		pending := c.Emergency != nil && c.Reviewed == nil
		if !live["change:"+id] && !pending && !latest(marks...).After(cutoff) {
			delete(f.Changes, id)
		}
	}
	for id, a := range f.DriftAlerts {
		if a.Closed != nil && a.Closed.Time.Before(cutoff) {
			delete(f.DriftAlerts, id)
		}
	}
	for id, d := range f.DSRs {
		if d.Closed != nil && d.Closed.Time.Before(cutoff) {
			delete(f.DSRs, id)
		}
	}
	for id, m := range f.KeysSeen {
		if m.Time.Before(cutoff) {
			delete(f.KeysSeen, id)
		}
	}
}

// latest is the time of the newest of the marks that are set.
func latest(ms ...*Mark) time.Time {
	var t time.Time
	for _, m := range ms {
		if m != nil && m.Time.After(t) {
			t = m.Time
		}
	}
	return t
}

// traffic sums a tenant's buckets for hours in [from, to).
func (tt *TenantTraffic) traffic(from, to time.Time) Bucket {
	var sum Bucket
	lo, hi := from.Unix()/3600, to.Unix()/3600
	for h, b := range tt.Hours {
		if h < lo || h > hi {
			continue
		}
		sum.Requests += b.Requests
		sum.Responses += b.Responses
		sum.Errors += b.Errors
		sum.Bodies += b.Bodies
		sum.Retained += b.Retained
		sum.FailOpen += b.FailOpen
		sum.BodiesIdx = append(sum.BodiesIdx, b.BodiesIdx...)
		sum.RetainedIdx = append(sum.RetainedIdx, b.RetainedIdx...)
		sum.FailOpenIdx = append(sum.FailOpenIdx, b.FailOpenIdx...)
	}
	slices.Sort(sum.BodiesIdx)
	slices.Sort(sum.RetainedIdx)
	slices.Sort(sum.FailOpenIdx)
	return sum
}

func appendBounded(s []uint64, i uint64) []uint64 {
	if len(s) < maxBucketIdx {
		return append(s, i)
	}
	return s
}
