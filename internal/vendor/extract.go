package vendor

import (
	"regexp"
	"strings"
)

// Field is one extracted value with the page it came from (1-based) and
// the words that support it, so every answer can be checked.
type Field struct {
	Value string `json:"value"`
	Page  int    `json:"page,omitempty"`
	Quote string `json:"quote,omitempty"`
}

// Exception is a test of a control that did not pass: an exception or
// deviation, or a control that was not tested because it did not operate.
type Exception struct {
	ControlID   string   `json:"control_id,omitempty"`
	Criteria    []string `json:"criteria,omitempty"`
	Description string   `json:"description"`
	// Status is "exception" or "untested".
	Status string `json:"status"`
	// Repeat is set when the report or an earlier review shows the same
	// control failing before.
	Repeat bool   `json:"repeat,omitempty"`
	Page   int    `json:"page"`
	Quote  string `json:"quote"`
}

// Exception statuses.
const (
	StatusException = "exception"
	StatusUntested  = "untested"
)

// Subservice is a subservice organization the report relies on.
type Subservice struct {
	Name string `json:"name"`
	// Method is "carve_out" or "inclusive" when the report says.
	Method string `json:"method,omitempty"`
	Page   int    `json:"page"`
	Quote  string `json:"quote"`
}

// Subservice methods.
const (
	MethodCarveOut  = "carve_out"
	MethodInclusive = "inclusive"
)

// AIScope says whether AI components sit inside the examined system.
type AIScope struct {
	// Status is one of the AI* constants.
	Status     string  `json:"status"`
	Components []Field `json:"components,omitempty"`
	Evidence   []Field `json:"evidence,omitempty"`
}

// AI scope statuses.
const (
	AIInScope   = "in_scope"
	AICarvedOut = "carved_out"
	// AINone means the report states the system uses no AI.
	AINone         = "none"
	AIMentioned    = "mentioned"
	AINotMentioned = "not_mentioned"
)

// Commitments are the vendor's promises on customer data.
type Commitments struct {
	// Training is "forbidden", "opt_in" or "permitted".
	Training *Field `json:"training,omitempty"`
	// Retention is "zero" or a stated period such as "30 days".
	Retention *Field `json:"retention,omitempty"`
}

// Training commitment values.
const (
	TrainingForbidden = "forbidden"
	TrainingOptIn     = "opt_in"
	TrainingPermitted = "permitted"
)

// Topic is one subject a data-flow description or policy index should
// cover.
type Topic struct {
	Topic    string `json:"topic"`
	Covered  bool   `json:"covered"`
	Evidence *Field `json:"evidence,omitempty"`
}

// Extraction holds the fields read from one document. Fields that do not
// apply to the document's kind stay empty.
type Extraction struct {
	ServiceOrganization *Field `json:"service_organization,omitempty"`
	ServiceAuditor      *Field `json:"service_auditor,omitempty"`
	// ReportKind is SOC1, SOC2 or SOC3; ReportType is Type1 or Type2.
	ReportKind  string `json:"report_kind,omitempty"`
	ReportType  string `json:"report_type,omitempty"`
	PeriodStart *Field `json:"period_start,omitempty"`
	PeriodEnd   *Field `json:"period_end,omitempty"`
	AsOf        *Field `json:"as_of,omitempty"`
	// ReportDate is the auditor's signature date, not the period end.
	ReportDate *Field `json:"report_date,omitempty"`
	// Opinion is one of the Opinion* constants.
	Opinion          *Field       `json:"opinion,omitempty"`
	Categories       []Field      `json:"categories,omitempty"`
	System           []Field      `json:"system,omitempty"`
	AI               *AIScope     `json:"ai,omitempty"`
	Subservice       []Subservice `json:"subservice_organizations,omitempty"`
	SubserviceMethod *Field       `json:"subservice_method,omitempty"`
	CUECs            []Field      `json:"cuecs,omitempty"`
	// TestResults counts the test results read, passed or not.
	TestResults int         `json:"test_results,omitempty"`
	Exceptions  []Exception `json:"exceptions,omitempty"`
	Untested    []Exception `json:"untested,omitempty"`
	Commitments Commitments `json:"commitments"`
	Bridge      *Bridge     `json:"bridge,omitempty"`
	PenTest     *PenTest    `json:"pentest,omitempty"`
	DataFlow    []Topic     `json:"data_flow,omitempty"`
	Policies    []Topic     `json:"policies,omitempty"`
	// ProcessingIntegrity is the first mention of the phrase, if any.
	ProcessingIntegrity *Field `json:"processing_integrity,omitempty"`
	// ZeroIncidents is a claim that no incidents occurred.
	ZeroIncidents *Field `json:"zero_incidents,omitempty"`
	// Boilerplate is the share of paragraphs that repeat word for word.
	Boilerplate float64 `json:"boilerplate"`
}

// extract reads every field that applies to a document of kind k.
func extract(d *textDoc, k Kind) *Extraction {
	x := &Extraction{}
	x.Commitments = commitments(d)
	x.ProcessingIntegrity = d.find(processingIntegrityRe, nil, "integrity")
	x.Boilerplate = d.boilerplateRatio()
	switch k {
	case KindSOC2Type1, KindSOC2Type2, KindSOC3, KindSOC1:
		extractSOC(d, k, x)
	case KindBridgeLetter:
		x.ServiceOrganization = serviceOrganization(d)
		x.Bridge = bridgeLetter(d)
	case KindPenTest:
		x.ServiceOrganization = serviceOrganization(d)
		x.PenTest = penTest(d)
	case KindDataFlow:
		x.DataFlow = d.coverage(dataFlowTopics)
		x.AI = aiScope(d, nil)
	case KindPolicyIndex:
		x.Policies = d.coverage(policyTopics)
	}
	return x
}

func extractSOC(d *textDoc, k Kind, x *Extraction) {
	switch k {
	case KindSOC1:
		x.ReportKind = "SOC1"
	case KindSOC3:
		x.ReportKind = "SOC3"
	default:
		x.ReportKind = "SOC2"
		x.ReportType = "Type2"
		if k == KindSOC2Type1 {
			x.ReportType = "Type1"
		}
	}
	from, to := d.auditorSection()
	x.ServiceOrganization = serviceOrganization(d)
	x.ServiceAuditor = serviceAuditor(d, from, to, x.ServiceOrganization)
	x.PeriodStart, x.PeriodEnd = reportPeriod(d)
	if x.PeriodEnd == nil || k == KindSOC2Type1 {
		x.AsOf = asOfDate(d)
		if k == KindSOC2Type1 && x.AsOf != nil {
			x.PeriodStart, x.PeriodEnd = nil, nil
		}
	}
	x.ReportDate = reportDate(d, from, to)
	x.Opinion = opinion(d, from, to)
	x.Categories = categories(d)
	x.System = systemComponents(d)
	x.Subservice, x.SubserviceMethod = subservice(d, x.ServiceOrganization)
	x.AI = aiScope(d, x.Subservice)
	x.CUECs = cuecs(d)
	if k == KindSOC2Type2 || k == KindSOC1 {
		x.TestResults, x.Exceptions, x.Untested = testResults(d)
	}
	x.ZeroIncidents = d.find(zeroIncidentRe, nil, "incident", "breach")
}

var (
	processingIntegrityRe = regexp.MustCompile(`(?i)processing\s+integrity`)
	zeroIncidentRe        = regexp.MustCompile(`(?i)\b(no|zero|did not (experience|have|identify) any)\s+(security\s+|significant\s+|reportable\s+|material\s+)?(incidents|breaches)\b(\s+(occurred|were (identified|reported|noted|experienced)))?`)
)

// find returns the first match of re in the document as a Field whose
// value is the matched text, or what value computes from the match. When
// hints are given, only paragraphs whose lowercase text contains one of
// them are searched, which keeps regexps off most of a long report.
func (d *textDoc) find(re *regexp.Regexp, value func(text string, m []int) string, hints ...string) *Field {
	for _, p := range d.paras {
		if len(hints) > 0 && !containsAny(p.lower, hints) {
			continue
		}
		m := re.FindStringSubmatchIndex(p.text)
		if m == nil {
			continue
		}
		v := p.text[m[0]:m[1]]
		if value != nil {
			v = value(p.text, m)
			if v == "" {
				continue
			}
		}
		return &Field{Value: v, Page: p.page, Quote: quote(p.text, m[0], m[1])}
	}
	return nil
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// boilerplateRatio is the share of paragraphs whose text appears more than
// once; generated or padded reports repeat whole paragraphs.
func (d *textDoc) boilerplateRatio() float64 {
	counts := map[string]int{}
	n := 0
	for _, p := range d.paras {
		if len(p.text) < 80 {
			continue
		}
		counts[strings.ToLower(p.text)]++
		n++
	}
	if n == 0 {
		return 0
	}
	repeated := 0
	for _, c := range counts {
		if c > 1 {
			repeated += c
		}
	}
	return float64(repeated) / float64(n)
}

// values returns the values of fields.
func values(fs []Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Value
	}
	return out
}
