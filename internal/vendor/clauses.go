package vendor

import (
	"cmp"
	"strings"
	"text/template"
)

// ClauseParams parameterise the contract clauses. Zero fields take the
// defaults of DefaultClauseParams.
type ClauseParams struct {
	// Customer is how the clauses name the buyer.
	Customer string `json:"customer"`
	// ReportIntervalMonths is how often a fresh Type 2 report is due.
	ReportIntervalMonths int `json:"report_interval_months"`
	// DeliveryDays is how soon after issue a report must be delivered.
	DeliveryDays int `json:"delivery_days"`
	// NoticeBusinessDays is the notice period for a modified opinion or an
	// AI carve-out.
	NoticeBusinessDays int `json:"notice_business_days"`
	// SubprocessorNoticeDays is the notice period for subprocessor changes.
	SubprocessorNoticeDays int `json:"subprocessor_notice_days"`
	// RemediationDays is the deadline to fix high-severity exceptions.
	RemediationDays int `json:"remediation_days"`
	// RetentionDays caps retention of customer data; 0 means zero
	// retention.
	RetentionDays int `json:"retention_days"`
}

// DefaultClauseParams returns the defaults the issue sets out.
func DefaultClauseParams() ClauseParams {
	return ClauseParams{
		Customer:               "Customer",
		ReportIntervalMonths:   12,
		DeliveryDays:           30,
		NoticeBusinessDays:     10,
		SubprocessorNoticeDays: 30,
		RemediationDays:        90,
	}
}

func (c ClauseParams) withDefaults() ClauseParams {
	d := DefaultClauseParams()
	c.Customer = cmp.Or(strings.TrimSpace(c.Customer), d.Customer)
	c.ReportIntervalMonths = cmp.Or(max(c.ReportIntervalMonths, 0), d.ReportIntervalMonths)
	c.DeliveryDays = cmp.Or(max(c.DeliveryDays, 0), d.DeliveryDays)
	c.NoticeBusinessDays = cmp.Or(max(c.NoticeBusinessDays, 0), d.NoticeBusinessDays)
	c.SubprocessorNoticeDays = cmp.Or(max(c.SubprocessorNoticeDays, 0), d.SubprocessorNoticeDays)
	c.RemediationDays = cmp.Or(max(c.RemediationDays, 0), d.RemediationDays)
	c.RetentionDays = max(c.RetentionDays, 0)
	return c
}

// Clause is a contract clause to put to the vendor.
type Clause struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Text  string `json:"text"`
	// Because lists the red flags of this review that make the clause
	// pressing.
	Because []string `json:"because,omitempty"`
}

// clauseTemplate is one clause with the red flags it answers.
type clauseTemplate struct {
	id, title string
	text      *template.Template
	flags     []string
}

func clauseText(id, text string) *template.Template {
	return template.Must(template.New(id).Option("missingkey=error").Parse(text))
}

var clauseTemplates = []clauseTemplate{
	{"fresh_type2_report", "Annual SOC 2 Type 2 report", clauseText("report",
		`{{.Vendor}} shall deliver to {{.Customer}} a SOC 2 Type 2 report at least every {{.ReportIntervalMonths}} months, within {{.DeliveryDays}} days of the report's issue date. Each report shall cover a period of at least six months, the Security, Confidentiality and Processing Integrity categories, and every system used to provide the services, including model training, inference and agent components.`),
		[]string{FlagReportStale, FlagSOC3Only, FlagType1Only, FlagSOC1, FlagNoSOCReport, FlagNoProcessingIntegrity}},
	{"bridge_letters", "Bridge letters for any gap", clauseText("bridge",
		`Whenever the period of the latest report ended before {{.Customer}}'s request, {{.Vendor}} shall within {{.DeliveryDays}} days provide a bridge letter signed by an officer, covering the time from the end of that period to the date of the letter and stating whether any material change occurred, with a description of each change.`),
		[]string{FlagBridgeMissing, FlagBridgeVague}},
	{"notice_opinion_ai_scope", "Notice of modified opinions and AI carve-outs", clauseText("notice",
		`{{.Vendor}} shall notify {{.Customer}} in writing within {{.NoticeBusinessDays}} business days after it receives a qualified, adverse or disclaimed opinion, or a report that excludes any AI component (model training, inference or agent workflows) from its scope.`),
		[]string{FlagOpinionQualified, FlagOpinionAdverse, FlagOpinionDisclaimer, FlagAIOutOfScope, FlagAINotMentioned}},
	{"notice_subprocessors", "Notice of subprocessor changes", clauseText("subprocessors",
		`{{.Vendor}} shall give {{.Customer}} at least {{.SubprocessorNoticeDays}} days' written notice before adding or replacing a subprocessor, including any provider of large language models or other AI services, and {{.Customer}} may object on reasonable security or data protection grounds.`),
		[]string{FlagAIOutOfScope}},
	{"exception_remediation", "Remediation of exceptions", clauseText("remediation",
		`{{.Vendor}} shall remediate every high-severity exception, and every exception in criteria CC6, CC7, CC8 or PI1, within {{.RemediationDays}} days after the report date, and shall give {{.Customer}} evidence of remediation, such as the auditor's retest results.`),
		[]string{FlagExceptionCritical, FlagExceptionRepeated, FlagExceptionDataUse, FlagPenTestOpenFindings}},
	{"no_training", "No training on customer data", clauseText("training",
		`{{.Vendor}} shall not use {{.Customer}}'s data, including prompts, outputs and files, to train, fine-tune or otherwise improve any model, except a model used only for {{.Customer}} and on its written instruction.`),
		[]string{FlagTrainingPermitted, FlagExceptionDataUse}},
	{"retention", "Retention of customer data", clauseText("retention",
		`{{if eq .RetentionDays 0}}{{.Vendor}} shall not retain prompts, outputs or other {{.Customer}} data once a request has been processed (zero data retention), except as {{.Customer}} instructs in writing.{{else}}{{.Vendor}} shall delete prompts, outputs and other {{.Customer}} data no later than {{.RetentionDays}} days after processing, except as {{.Customer}} instructs in writing.{{end}}`),
		[]string{FlagExceptionDataUse}},
}

// clauses renders every clause for vendor and marks those this review's
// red flags make pressing.
func clauses(p ClauseParams, vendor string, flags []RedFlag) []Clause {
	p = p.withDefaults()
	data := struct {
		ClauseParams
		Vendor string
	}{p, cmp.Or(vendor, "Vendor")}
	raised := map[string]bool{}
	for _, f := range flags {
		raised[f.Code] = true
	}
	out := make([]Clause, 0, len(clauseTemplates))
	for _, t := range clauseTemplates {
		var b strings.Builder
		if err := t.text.Execute(&b, data); err != nil {
			// The templates and their data are fixed; a failure is a bug.
			panic("vendor: clause " + t.id + ": " + err.Error())
		}
		c := Clause{ID: t.id, Title: t.title, Text: b.String()}
		for _, code := range t.flags {
			if raised[code] {
				c.Because = append(c.Because, code)
			}
		}
		out = append(out, c)
	}
	return out
}
