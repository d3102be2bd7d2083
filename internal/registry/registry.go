package registry

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/monitor"
	"github.com/attest-ai/attest/internal/privacy"
	"github.com/attest-ai/attest/internal/records"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Errors callers map to HTTP answers. Specific errors wrap one of them.
var (
	ErrInvalid   = errors.New("invalid request")
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrForbidden = errors.New("not allowed")
	// ErrGate means an evaluation gate refused a promotion.
	ErrGate = errors.New("evaluation gate not met")
	// ErrNotServable is wrapped by every CanServe refusal.
	ErrNotServable = errors.New("not servable")
)

// Separation-of-duties refusals.
var (
	ErrSelfApproval    = fmt.Errorf("%w: the requester of a change cannot approve, reject or review it; ask another human", ErrForbidden)
	ErrAgentApproval   = fmt.Errorf("%w: agents and services may propose changes but never approve, reject or review them; a human must decide", ErrForbidden)
	ErrAgentEmergency  = fmt.Errorf("%w: an agent cannot use the emergency path; a human must declare the emergency", ErrForbidden)
	ErrAgentAlertClose = fmt.Errorf("%w: agents and services may open drift alerts but not close them; a human must say how one was resolved", ErrForbidden)
)

// Prover builds inclusion proofs; *ledger.Log implements it.
type Prover interface {
	InclusionProof(ctx context.Context, index, size uint64) ([]tlog.Hash, error)
}

// Checkpointer returns a signed checkpoint covering the committed ledger,
// signing a new one only when needed; *ledger.Signer implements it.
type Checkpointer interface {
	Publish(ctx context.Context) (ledger.Checkpoint, error)
}

// Privacy is what the registry needs from the privacy domain.
// *privacy.Service implements it.
type Privacy interface {
	Pseudonym(tenant, subject string) string
	Allowed(ctx context.Context, tenant, subject string, p privacy.Purpose) (bool, error)
}

// Deps are the registry's collaborators.
type Deps struct {
	// Log records evidence; nothing changes unless it is recorded first.
	Log ledger.Appender
	// Reader queries the ledger by indexed subject, for history.
	Reader ledger.Reader
	// Proofs and Checkpoints give history entries their inclusion proofs.
	Proofs      Prover
	Checkpoints Checkpointer
	Records     records.Store
	// Signer signs decisions and provenance: the ledger's checkpoint key,
	// so one verifier key checks checkpoints and statements alike.
	Signer note.Signer
	// VerifierKey is Signer's public key in signed-note form.
	VerifierKey string
	// Privacy pseudonymizes dataset subjects and reports consent; optional.
	Privacy Privacy
	// People tells who stands behind an actor, so that one person's
	// second key or console login cannot approve their own change;
	// optional (without it actors are compared by id).
	People People
	Policy Policy
	Now    func() time.Time
}

// People maps actors to the persons behind them (see access.Service.Person).
type People interface {
	Person(ctx context.Context, a ledger.Actor) (string, error)
}

// Policy holds the tunable rules of change management and monitoring.
type Policy struct {
	// Approvals is how many human approvals, other than the requester,
	// a change needs by risk. A change an agent proposes needs at least
	// one whatever the risk.
	Approvals map[Risk]int
	// EmergencyReview is how long after an emergency change its review is
	// due. The controls engine's own limit is seven days.
	EmergencyReview time.Duration
	// DriftSLA is how long a drift alert may stay open.
	DriftSLA time.Duration
	// Thresholds decide when descriptor drift raises an alert.
	Thresholds monitor.Thresholds
}

// DefaultPolicy: two approvers for high-risk models, one otherwise.
var DefaultPolicy = Policy{
	Approvals:       map[Risk]int{RiskHigh: 2, RiskLimited: 1, RiskMinimal: 1},
	EmergencyReview: 72 * time.Hour,
	DriftSLA:        72 * time.Hour,
	Thresholds:      monitor.DefaultThresholds,
}

// Service is the model registry.
type Service struct {
	d Deps

	models    records.Table[Model]
	versions  records.Table[Version]
	bundles   records.Table[storedBundle]
	prov      records.Table[Envelope]
	digests   records.Table[digestIndex]
	keys      records.Table[TrustedKey]
	datasets  records.Table[Dataset]
	snapSubs  records.Table[snapshotSubjects]
	subjects  records.Table[subjectRefs]
	prompts   records.Table[Prompt]
	suites    records.Table[Suite]
	evals     records.Table[EvalResult]
	changes   records.Table[Change]
	aliases   records.Table[Alias]
	driftRefs records.Table[DriftReference]
	alerts    records.Table[DriftAlert]
	metrics   *monitor.Registry
}

// New returns the registry service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Policy.Approvals == nil {
		d.Policy.Approvals = DefaultPolicy.Approvals
	}
	if d.Policy.EmergencyReview <= 0 {
		d.Policy.EmergencyReview = DefaultPolicy.EmergencyReview
	}
	if d.Policy.DriftSLA <= 0 {
		d.Policy.DriftSLA = DefaultPolicy.DriftSLA
	}
	if d.Policy.Thresholds == (monitor.Thresholds{}) {
		d.Policy.Thresholds = DefaultPolicy.Thresholds
	}
	st := d.Records
	return &Service{
		d:         d,
		models:    records.NewTable[Model](st, "registry.model"),
		versions:  records.NewTable[Version](st, "registry.version"),
		bundles:   records.NewTable[storedBundle](st, "registry.bundle"),
		prov:      records.NewTable[Envelope](st, "registry.provenance"),
		digests:   records.NewTable[digestIndex](st, "registry.digest"),
		keys:      records.NewTable[TrustedKey](st, "registry.signing_key"),
		datasets:  records.NewTable[Dataset](st, "registry.dataset"),
		snapSubs:  records.NewTable[snapshotSubjects](st, "registry.snapshot_subjects"),
		subjects:  records.NewTable[subjectRefs](st, "registry.subject_refs"),
		prompts:   records.NewTable[Prompt](st, "registry.prompt"),
		suites:    records.NewTable[Suite](st, "registry.eval_suite"),
		evals:     records.NewTable[EvalResult](st, "registry.eval_result"),
		changes:   records.NewTable[Change](st, "registry.change"),
		aliases:   records.NewTable[Alias](st, "registry.alias"),
		driftRefs: records.NewTable[DriftReference](st, "registry.drift_reference"),
		alerts:    records.NewTable[DriftAlert](st, "registry.drift_alert"),
		metrics:   monitor.NewRegistry(),
	}
}

// Metrics is the metric registry evaluations use; register custom metrics
// on it at start-up.
func (s *Service) Metrics() *monitor.Registry { return s.metrics }

// VerifierKey is the signed-note key that checks the registry's statements.
func (s *Service) VerifierKey() string { return s.d.VerifierKey }

func (s *Service) now() time.Time { return s.d.Now().UTC() }

// record appends an event and returns its index. Nothing is changed in the
// records store unless this succeeded first.
func (s *Service) record(ctx context.Context, typ, tenant string, actor ledger.Actor, body any, subjects ...ledger.Ref) (uint64, error) {
	e, err := ledger.NewEvent(typ, tenant, actor, body, subjects...)
	if err != nil {
		return 0, err
	}
	return s.append(ctx, e)
}

func (s *Service) append(ctx context.Context, e ledger.Event) (uint64, error) {
	e.Time = s.now()
	idx, err := s.d.Log.Append(ctx, e)
	if err != nil {
		return 0, fmt.Errorf("record %s: %w", e.Type, err)
	}
	return idx, nil
}

// Subject references.
func modelRef(name string) ledger.Ref       { return ledger.Ref{Kind: "model", ID: name} }
func versionRef(id string) ledger.Ref       { return ledger.Ref{Kind: "model_version", ID: id} }
func datasetRef(id string) ledger.Ref       { return ledger.Ref{Kind: "dataset", ID: id} }
func promptRef(name string) ledger.Ref      { return ledger.Ref{Kind: "prompt", ID: name} }
func promptVersionRef(id string) ledger.Ref { return ledger.Ref{Kind: "prompt_version", ID: id} }
func suiteRef(name string) ledger.Ref       { return ledger.Ref{Kind: "eval_suite", ID: name} }
func changeRef(id string) ledger.Ref        { return ledger.Ref{Kind: "change", ID: id} }
func runRef(id string) ledger.Ref           { return ledger.Ref{Kind: "lineage_run", ID: id} }
func alertRef(id string) ledger.Ref         { return ledger.Ref{Kind: "drift_alert", ID: id} }
func keyRef(hint string) ledger.Ref         { return ledger.Ref{Kind: "signing_key", ID: hint} }

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// checkName validates a user-chosen name or version: letters, digits and
// . _ -, so that NAME@VERSION and NAME:ALIAS stay unambiguous.
func checkName(what, v string) error {
	if !namePattern.MatchString(v) {
		return fmt.Errorf("%w: %s %q must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalid, what, v)
	}
	return nil
}

// ParseRef splits "NAME@VERSION".
func ParseRef(s string) (name, version string, err error) {
	name, version, ok := strings.Cut(s, "@")
	if !ok {
		return "", "", fmt.Errorf("%w: %q must be NAME@VERSION, for example fraud-detector@3", ErrInvalid, s)
	}
	if err := checkName("name", name); err != nil {
		return "", "", err
	}
	if err := checkName("version", version); err != nil {
		return "", "", err
	}
	return name, version, nil
}

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// normDigest accepts "sha256:<hex>" or bare hex, in either case.
func normDigest(what, d string) (string, error) {
	d = strings.ToLower(strings.TrimSpace(d))
	if !strings.HasPrefix(d, "sha256:") {
		d = "sha256:" + d
	}
	if !digestPattern.MatchString(d) {
		return "", fmt.Errorf("%w: %s must be a SHA-256 digest, \"sha256:\" and 64 hex digits", ErrInvalid, what)
	}
	return d, nil
}

// newID returns prefix and 16 random base32 characters.
func newID(prefix string) string {
	b := make([]byte, 10)
	rand.Read(b)
	return prefix + strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

// notFound turns the records store's not-found into the registry's.
func notFound(err error, format string, a ...any) error {
	if errors.Is(err, records.ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrNotFound, fmt.Sprintf(format, a...))
	}
	return err
}

// limitText bounds free text kept in records and events.
func limitText(what, v string, max int) error {
	if len(v) > max {
		return fmt.Errorf("%w: %s is %d bytes, at most %d are kept; link a document instead", ErrInvalid, what, len(v), max)
	}
	return nil
}
