package controls

import (
	"slices"
	"sort"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

// Input is everything a check may look at. It is assembled once per
// evaluation, so each check is a pure function of it and is tested on
// fixtures without a store.
type Input struct {
	Now   time.Time
	Facts *Facts
	// Keys are every API key in the store.
	Keys []access.Key
	// Checkpoint is the newest signed checkpoint, nil if none, and Head
	// the ledger size.
	Checkpoint *ledger.Checkpoint
	Head       uint64
	// LogKey is the ledger's own verifier key, to tell its signature from
	// a witness's.
	LogKey string
	// Components are those the ComponentSource reports: configuration
	// and the registries. People's additions are not among them, so no
	// one can mark a provider secretless through the API.
	Components []Component
	Settings   Settings
}

// Settings tune the checks. Zero values take the defaults.
type Settings struct {
	// ZeroRetentionTenants are tenants configured for zero retention. Any
	// body kept for them fails, whatever mode a request claimed. Other
	// tenants fail only if a request asked for zero retention and a body
	// was kept anyway.
	ZeroRetentionTenants []string `json:"zero_retention_tenants,omitempty"`
	// Witnesses are verifier keys (name+hash+base64) of witnesses whose
	// cosignature on a checkpoint counts (config ledger.witnesses).
	Witnesses []string `json:"witnesses,omitempty"`
	// WitnessQuorum is how many of them must cosign the newest
	// checkpoint; default 1.
	WitnessQuorum int `json:"witness_quorum,omitempty"`
	// CheckpointMaxAge is how old the newest checkpoint may be while
	// entries wait unsigned; default one hour.
	CheckpointMaxAge time.Duration `json:"checkpoint_max_age,omitempty"`
	// ErrorRateMax is the share of failed inference requests per day
	// above which availability fails; default 0.05.
	ErrorRateMax float64 `json:"error_rate_max,omitempty"`
	// ReviewMaxAge is how long an access review stays current; default
	// 90 days.
	ReviewMaxAge time.Duration `json:"review_max_age,omitempty"`
	// RotationMaxAge is how long a provider credential may go without
	// rotation; default 90 days.
	RotationMaxAge time.Duration `json:"rotation_max_age,omitempty"`
	// RetentionMaxAge is how long ago the newest run of each retention job
	// may be; default 36 hours.
	RetentionMaxAge time.Duration `json:"retention_max_age,omitempty"`
	// DriftReportMaxAge is how old the newest drift report of a
	// production model may be; default 8 days.
	DriftReportMaxAge time.Duration `json:"drift_report_max_age,omitempty"`
	// EmergencyReviewWithin is how soon after an emergency change a human
	// must review it; default 7 days.
	EmergencyReviewWithin time.Duration `json:"emergency_review_within,omitempty"`
	// ObservationStart is when the Type 2 window began; zero means at
	// the first recorded evaluation.
	ObservationStart time.Time `json:"observation_start,omitzero"`
	// ObservationDays is the planned window length; default 182.
	ObservationDays int `json:"observation_days,omitempty"`
}

func (s *Settings) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&s.CheckpointMaxAge, time.Hour)
	if s.WitnessQuorum <= 0 {
		s.WitnessQuorum = 1
	}
	def(&s.ReviewMaxAge, 90*Day)
	def(&s.RotationMaxAge, 90*Day)
	def(&s.RetentionMaxAge, 36*time.Hour)
	def(&s.DriftReportMaxAge, 8*Day)
	def(&s.EmergencyReviewWithin, 7*Day)
	if s.ErrorRateMax <= 0 {
		s.ErrorRateMax = 0.05
	}
}

// CheckFunc is one automated check.
type CheckFunc func(in *Input) Result

// CheckInfo describes a registered check.
type CheckInfo struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	run   CheckFunc
}

// checks is the registry of automated checks by name. Catalog controls
// refer to these names.
var checks = map[string]CheckInfo{}

func register(name, title string, fn CheckFunc) {
	checks[name] = CheckInfo{Name: name, Title: title, run: fn}
}

// Checks lists every registered check, by name.
func Checks() []CheckInfo {
	out := make([]CheckInfo, 0, len(checks))
	for _, c := range checks {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Run runs the named check on in.
func Run(name string, in *Input) (Result, bool) {
	c, ok := checks[name]
	if !ok {
		return Result{}, false
	}
	in.Settings.defaults()
	r := c.run(in)
	r.Check = name
	if r.Status == NotApplicable && r.Reason == "" {
		// Not applicable must say why; unexplained, it fails closed.
		r.Status, r.Reason = Fail, "the check reported not applicable without naming why"
	}
	return r, true
}

// activeKeys are the keys that can authenticate at now.
func (in *Input) activeKeys() []access.Key {
	var out []access.Key
	for _, k := range in.Keys {
		if k.Active(in.Now) == nil {
			out = append(out, k)
		}
	}
	return out
}

// tenants are the tenants that hold an active key or sent traffic.
func (in *Input) tenants() []string {
	var out []string
	for _, k := range in.activeKeys() {
		if !slices.Contains(out, k.Tenant) {
			out = append(out, k.Tenant)
		}
	}
	for t := range in.Facts.Tenants {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// productionVersions are the model versions production aliases point at,
// sorted, each with the deployment that put it there.
func (in *Input) productionVersions() []*AliasFacts {
	out := make([]*AliasFacts, 0, len(in.Facts.Aliases))
	for _, a := range in.Facts.Aliases {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out
}

// sortedKeys returns a map's keys in order, so results are deterministic.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
