package console

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

// The console reads the control engine, the model registry, the gateway,
// vendor review, access reviews and the audit exporter through the small
// interfaces below, so it compiles and renders on its own. A nil source
// renders an empty state that names what to configure.
//
// Errors returned by the mutating methods (Approve, Reject, Upload, Decide,
// Export) are shown to the user verbatim: they should say what was refused
// and why, as domain errors in attest do.

// ErrNotFound is what sources wrap when asked for an id they do not know,
// so the console can answer 404 instead of 500.
var ErrNotFound = errors.New("not found")

// ControlsSource is the control engine as the console sees it.
type ControlsSource interface {
	// Controls lists every control in scope, ordered by id. The console
	// filters the list itself; catalogs hold a few hundred controls at most.
	Controls(ctx context.Context, tenant string) ([]ControlSummary, error)
	// Control returns one control with its history, exceptions and evidence.
	Control(ctx context.Context, tenant, id string) (ControlDetail, error)
	// Trend counts passing and failing controls per day over the
	// observation period.
	Trend(ctx context.Context, tenant string) (Trend, error)
	// Readiness is the share of controls ready for the report.
	Readiness(ctx context.Context, tenant string) (Readiness, error)
}

// ControlSummary is one row of the control list.
type ControlSummary struct {
	ID        string
	Title     string
	Criteria  []string
	Status    string // pass, fail, stale, no_evidence or not_applicable
	Reason    string
	Evaluated time.Time
}

// Failing reports whether the control counts against readiness. Not
// applicable does not, but it is not passing either.
func (c ControlSummary) Failing() bool { return c.Status != "pass" && !c.NotApplicable() }

// NotApplicable reports whether the scope holds nothing the control
// applies to; Reason says why.
func (c ControlSummary) NotApplicable() bool { return c.Status == "not_applicable" }

// ControlDetail is a control with everything that backs its status.
type ControlDetail struct {
	ControlSummary
	Description string
	History     []ControlEvaluation // newest first
	Exceptions  []ControlException
	Evidence    []EvidenceRef
}

// ControlEvaluation is one point of a control's history timeline.
type ControlEvaluation struct {
	Time   time.Time
	Status string
	Reason string
	// Index is the ledger index of the control.evaluated event.
	Index uint64
}

// ControlException is a period during which a control did not operate.
type ControlException struct {
	Start, End  time.Time // End is zero while open
	Status      string
	Reason      string
	Remediation string
}

// EvidenceRef points at one ledger entry a control rests on.
type EvidenceRef struct {
	Index uint64
	Label string
}

// Trend is the daily pass/fail count over the observation period.
type Trend struct {
	From, To time.Time
	Points   []TrendPoint
}

// TrendPoint is one day of a Trend.
type TrendPoint struct {
	Day              time.Time
	Passing, Failing int
}

// Readiness is where the organization stands.
type Readiness struct {
	Percent  float64 // 0-100, of the applicable controls
	Controls int
	Passing  int
	// NotApplicable controls count neither for nor against readiness.
	NotApplicable    int
	ObservationStart time.Time
	ObservationDays  int
	TargetDays       int
}

// Applicable counts the controls readiness is measured against.
func (r Readiness) Applicable() int { return r.Controls - r.NotApplicable }

// Alert is an open item that needs someone's attention: a gateway alert, a
// drift alert, a vendor renewal, an overdue request.
type Alert struct {
	Source string // gateway, drift, vendor, privacy, controls
	Title  string
	Since  time.Time
	// Due is zero when the alert has no deadline.
	Due  time.Time
	Link string // a console path, optional
}

// Overdue reports whether the alert passed its deadline at now.
func (a Alert) Overdue(now time.Time) bool { return !a.Due.IsZero() && now.After(a.Due) }

// ModelsSource is the model registry as the console sees it.
type ModelsSource interface {
	Models(ctx context.Context, tenant string) ([]ModelSummary, error)
	Model(ctx context.Context, tenant, name string) (ModelDetail, error)
	// Alerts lists open drift alerts and overdue change reviews.
	Alerts(ctx context.Context, tenant string) ([]Alert, error)
}

// ModelSummary is one row of the model list.
type ModelSummary struct {
	Name     string
	Owner    string
	Risk     string
	Versions int
	Latest   string
	// Aliases maps a deployment alias (production, staging) to a version.
	Aliases map[string]string
}

// ModelDetail is a model with its versions, lineage, evaluations and drift.
type ModelDetail struct {
	ModelSummary
	Versions []ModelVersion // newest first
	Lineage  Lineage
	Evals    []Series
	Drift    []Series
}

// ModelVersion is one registered version.
type ModelVersion struct {
	Version    string
	Digest     string
	Signed     bool
	Approved   bool
	Registered time.Time
	Aliases    []string
}

// Lineage is a provenance graph: datasets feed runs, runs produce model
// versions, versions are deployed under aliases.
type Lineage struct {
	Nodes []LineageNode
	Edges []LineageEdge
}

// Lineage node kinds, which are also the graph's columns, left to right.
const (
	NodeDataset    = "dataset"
	NodeRun        = "run"
	NodeModel      = "model"
	NodeDeployment = "deployment"
)

// LineageNode is one vertex of a Lineage.
type LineageNode struct {
	ID    string
	Kind  string
	Label string
}

// LineageEdge links two node ids.
type LineageEdge struct{ From, To string }

// Series is a named time series for a chart.
type Series struct {
	Name   string
	Unit   string
	Points []Point
	// Threshold, if set, is drawn as a limit line (a drift or eval gate).
	Threshold *float64
}

// Point is one sample of a Series.
type Point struct {
	T time.Time
	V float64
}

// ApprovalsSource is the change approval queue. It enforces separation of
// duties itself: Approve must refuse a decision by the requester.
type ApprovalsSource interface {
	Pending(ctx context.Context, tenant string) ([]ApprovalRequest, error)
	Approve(ctx context.Context, tenant string, by ledger.Actor, id, comment string) error
	Reject(ctx context.Context, tenant string, by ledger.Actor, id, comment string) error
}

// ApprovalRequest is one pending change, such as a model promotion.
type ApprovalRequest struct {
	ID          string
	Title       string
	Description string
	Risk        string
	// RequestedBy is the requester's ledger actor id, e.g. "user:alice".
	RequestedBy string
	Requested   time.Time
	Approvals   []string // actor ids that approved so far
	Required    int
}

// GatewayStats reports the AI gateway's traffic.
type GatewayStats interface {
	Snapshot(ctx context.Context, tenant string, window time.Duration) (GatewaySnapshot, error)
}

// GatewaySnapshot is the gateway's traffic over a window.
type GatewaySnapshot struct {
	RequestsPerMinute Series
	// Latency holds one series per percentile, in milliseconds.
	Latency   []Series
	Blocked   []Count // requests blocked by guards, by reason
	Fallbacks []Count // fallbacks taken, by route
	Alerts    []Alert
}

// Count is a labelled number.
type Count struct {
	Label string
	N     int64
}

// VendorsSource is vendor risk review.
type VendorsSource interface {
	Vendors(ctx context.Context, tenant string) ([]VendorSummary, error)
	Reviews(ctx context.Context, tenant string) ([]VendorReviewSummary, error)
	Review(ctx context.Context, tenant, id string) (VendorReview, error)
	// Calendar lists renewals due around asOf, soonest first.
	Calendar(ctx context.Context, tenant string, asOf time.Time) ([]Renewal, error)
	// Upload reviews a new packet of documents for a vendor.
	Upload(ctx context.Context, tenant string, by ledger.Actor, vendor string, files []Upload) (VendorReviewSummary, error)
}

// VendorSummary is one vendor.
type VendorSummary struct {
	ID   string
	Name string
	Tier string
}

// VendorReviewSummary is one row of the review list.
type VendorReviewSummary struct {
	ID       string
	Vendor   string
	Reviewed time.Time
	Verdict  string
	RedFlags int
}

// VendorReview is a finished review report.
type VendorReview struct {
	VendorReviewSummary
	Period    string
	Documents []string
	Flags     []RedFlag
}

// RedFlag is a finding in a vendor's documents.
type RedFlag struct {
	Severity  string
	Title     string
	Detail    string
	Citations []Citation
}

// Citation points at the page a finding comes from.
type Citation struct {
	Document string
	Page     int
	Quote    string
}

// Renewal is one entry of the renewal calendar.
type Renewal struct {
	Vendor string
	What   string
	Due    time.Time
}

// Upload is one uploaded document.
type Upload struct {
	Name string
	Size int64
	Body io.Reader
}

// AccessReviewsSource runs access-review campaigns.
type AccessReviewsSource interface {
	Campaigns(ctx context.Context, by access.Principal) ([]Campaign, error)
	Campaign(ctx context.Context, by access.Principal, id string) (Campaign, []CampaignItem, error)
	// Decide records keep or revoke for one principal under review.
	Decide(ctx context.Context, by access.Principal, campaign, item, decision, note string) error
	// Complete applies a fully decided campaign's revocations.
	Complete(ctx context.Context, by access.Principal, campaign string) error
}

// CompletionError reports that a decision was recorded but the campaign it
// finished could not be completed, for instance because it would disable
// the last admin.
type CompletionError struct{ Err error }

func (e *CompletionError) Error() string {
	return "the decision is recorded, but completing the review failed: " + e.Err.Error()
}

func (e *CompletionError) Unwrap() error { return e.Err }

// Campaign is one access review.
type Campaign struct {
	ID        string
	Scope     string
	Started   time.Time
	Due       time.Time
	Completed time.Time
	Items     int
	Decided   int
}

// CampaignItem is one principal under review.
type CampaignItem struct {
	ID   string
	Name string
	Kind string
	// Detail is a short description, such as a user's tenant and how
	// they sign in.
	Detail    string
	Role      string
	LastUsed  time.Time
	Decision  string // "", keep or revoke
	DecidedBy string
}

// AuditExporter builds the auditor package.
type AuditExporter interface {
	Export(ctx context.Context, req AuditRequest) (AuditPackage, error)
}

// AuditRequest is one export.
type AuditRequest struct {
	Tenant   string
	From, To time.Time
	// Seed drives the sample selection; the same seed selects the same
	// samples.
	Seed string
	// Dir is a fresh directory the package is written to.
	Dir   string
	Actor ledger.Actor
	// Progress is told each stage's progress; it may be called from any
	// goroutine.
	Progress func(stage string, done, total uint64)
}

// AuditPackage is a written package.
type AuditPackage struct {
	ID string
	// Zip is the path of the package's zip file, which the console serves.
	Zip      string
	Manifest string // SHA-256 of the manifest
	Files    int
	Samples  int
}
