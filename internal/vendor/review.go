package vendor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// Verdicts of a review.
const (
	VerdictFastTrack = "fast_track"
	VerdictEscalate  = "escalate"
)

// Policy holds the thresholds of a review. Zero fields take the defaults
// of DefaultPolicy.
type Policy struct {
	// MaxReportAgeMonths is how long a report's coverage lasts after its
	// period ends, and how old its date may be (default 12).
	MaxReportAgeMonths int `json:"max_report_age_months"`
	// BridgeGraceDays is how long after its coverage ends a bridge letter
	// is still accepted (default 90).
	BridgeGraceDays int `json:"bridge_grace_days"`
	// MaxPenTestAgeMonths is how old a penetration test may be (default 12).
	MaxPenTestAgeMonths int `json:"max_pentest_age_months"`
	// RequiredCategories must all be in scope (default Security,
	// Confidentiality and Processing Integrity).
	RequiredCategories []string `json:"required_categories"`
	// AlertDays is how early the renewal calendar warns (default 30).
	AlertDays int          `json:"alert_days"`
	Clauses   ClauseParams `json:"clauses"`
}

// DefaultPolicy returns the thresholds the issue sets out.
func DefaultPolicy() Policy {
	return Policy{
		MaxReportAgeMonths:  12,
		BridgeGraceDays:     90,
		MaxPenTestAgeMonths: 12,
		RequiredCategories:  []string{CategorySecurity, CategoryConfidentiality, CategoryProcessingIntegrity},
		AlertDays:           30,
		Clauses:             DefaultClauseParams(),
	}
}

// withDefaults fills zero fields from DefaultPolicy.
func (p Policy) withDefaults() Policy {
	d := DefaultPolicy()
	if p.MaxReportAgeMonths <= 0 {
		p.MaxReportAgeMonths = d.MaxReportAgeMonths
	}
	if p.BridgeGraceDays <= 0 {
		p.BridgeGraceDays = d.BridgeGraceDays
	}
	if p.MaxPenTestAgeMonths <= 0 {
		p.MaxPenTestAgeMonths = d.MaxPenTestAgeMonths
	}
	if len(p.RequiredCategories) == 0 {
		p.RequiredCategories = d.RequiredCategories
	}
	if p.AlertDays <= 0 {
		p.AlertDays = d.AlertDays
	}
	p.Clauses = p.Clauses.withDefaults()
	return p
}

// Citation points at evidence in one document of a review.
type Citation struct {
	Document string `json:"document"`
	Page     int    `json:"page,omitempty"`
	Quote    string `json:"quote,omitempty"`
}

// Coverage summarises the dates the renewal calendar tracks.
type Coverage struct {
	ReportKind    Kind   `json:"report_kind,omitempty"`
	PeriodEnd     string `json:"period_end,omitempty"`
	StaleOn       string `json:"stale_on,omitempty"`
	BridgeThrough string `json:"bridge_through,omitempty"`
	BridgeDueOn   string `json:"bridge_due_on,omitempty"`
	PenTestDate   string `json:"pentest_date,omitempty"`
	PenTestDueOn  string `json:"pentest_due_on,omitempty"`
}

// Review is the result of reviewing one vendor packet. It is also the
// record the registry keeps.
type Review struct {
	ID        string       `json:"id"`
	Tenant    string       `json:"tenant,omitempty"`
	VendorID  string       `json:"vendor_id,omitempty"`
	Vendor    string       `json:"vendor,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	AsOf      string       `json:"as_of"`
	Actor     ledger.Actor `json:"actor"`
	Verdict   string       `json:"verdict"`
	// Primary is the index in Documents of the report the check used, or
	// -1 when the packet has no SOC 2 or SOC 3 report.
	Primary     int              `json:"primary_report"`
	Documents   []DocumentResult `json:"documents"`
	Questions   []Question       `json:"questions"`
	RedFlags    []RedFlag        `json:"red_flags"`
	Clauses     []Clause         `json:"clauses"`
	Coverage    Coverage         `json:"coverage"`
	LedgerIndex *uint64          `json:"ledger_index,omitempty"`
}

// Input is one uploaded document. When Data holds only the part read
// before the size limit stopped reading, Size and Digest describe the
// whole file; ReadInput fills them.
type Input struct {
	Name   string
	Data   []byte
	Size   int64
	Digest string
}

// ReadInput reads a document from r, keeping at most limit+1 bytes (enough
// for the size check to reject it) while hashing and counting all of it.
func ReadInput(name string, r io.Reader, limit int64) (Input, error) {
	h := sha256.New()
	var buf bytes.Buffer
	n, err := io.Copy(io.MultiWriter(h, &capWriter{w: &buf, left: limit + 1}), r)
	if err != nil {
		return Input{}, fmt.Errorf("read %s: %w", name, err)
	}
	return Input{Name: name, Data: buf.Bytes(), Size: n, Digest: "sha256:" + hex.EncodeToString(h.Sum(nil))}, nil
}

// capWriter keeps the first left bytes and silently drops the rest.
type capWriter struct {
	w    io.Writer
	left int64
}

func (c *capWriter) Write(p []byte) (int, error) {
	if c.left > 0 {
		k := min(int64(len(p)), c.left)
		if _, err := c.w.Write(p[:k]); err != nil {
			return 0, err
		}
		c.left -= k
	}
	return len(p), nil
}

// ErrNoDocuments is returned for a review without documents.
var ErrNoDocuments = errors.New("no documents to review")

// Analyze reviews a vendor packet as of a date. It stores nothing; prior
// reviews of the same vendor, newest first, let it spot repeated
// exceptions. Unreadable documents become findings, not errors; only a
// cancelled context or an empty packet fails.
func Analyze(ctx context.Context, r *Reader, policy Policy, inputs []Input, asOf time.Time, prior []Review) (*Review, error) {
	if len(inputs) == 0 {
		return nil, ErrNoDocuments
	}
	policy = policy.withDefaults()
	asOf = day(asOf)
	rv := &Review{AsOf: asOf.Format(dateLayout), Primary: -1}
	for _, in := range inputs {
		res, err := analyzeDocument(ctx, r, in)
		if err != nil {
			return nil, fmt.Errorf("review %s: %w", in.Name, err)
		}
		rv.Documents = append(rv.Documents, res)
	}
	p := newPacket(rv.Documents, asOf, policy, prior)
	rv.Primary = p.primary
	rv.Questions = p.questions()
	rv.RedFlags = p.redFlags()
	for i := range rv.Documents {
		rv.Documents[i].RedFlags = p.docFlags[i]
	}
	rv.Verdict = verdict(rv.Questions, rv.RedFlags)
	rv.Coverage = p.coverage()
	if p.primary >= 0 {
		if org := rv.Documents[p.primary].Fields.ServiceOrganization; org != nil {
			rv.Vendor = org.Value
		}
	}
	rv.Clauses = clauses(policy.Clauses, rv.Vendor, rv.RedFlags)
	return rv, nil
}

// verdict fast-tracks a review only when every question is answered yes
// (or needs only the manual auditor lookup) and no red flag is high.
func verdict(qs []Question, flags []RedFlag) string {
	for _, q := range qs {
		if q.Answer != AnswerYes && q.Answer != AnswerManual {
			return VerdictEscalate
		}
	}
	for _, f := range flags {
		if f.Severity == SeverityHigh {
			return VerdictEscalate
		}
	}
	return VerdictFastTrack
}

// day truncates t to its UTC date.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
