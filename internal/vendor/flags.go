package vendor

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Severities of red flags. Any high flag escalates the review.
const (
	SeverityHigh   = "high"
	SeverityMedium = "medium"
	SeverityLow    = "low"
)

// RedFlag is a finding that needs a person's attention, with what to do
// about it.
type RedFlag struct {
	Code     string     `json:"code"`
	Severity string     `json:"severity"`
	Title    string     `json:"title"`
	Detail   string     `json:"detail"`
	Response string     `json:"response"`
	Evidence []Citation `json:"evidence,omitempty"`
}

// flagInfo is the fixed part of a red flag.
type flagInfo struct {
	severity, title, response string
}

// Red flag codes. The ledger records these codes, so they never change
// meaning once released.
const (
	FlagOpinionQualified      = "opinion_qualified"
	FlagOpinionAdverse        = "opinion_adverse"
	FlagOpinionDisclaimer     = "opinion_disclaimer"
	FlagReportStale           = "report_stale"
	FlagBridgeMissing         = "bridge_missing"
	FlagBridgeVague           = "bridge_vague"
	FlagAIOutOfScope          = "ai_out_of_scope"
	FlagAINotMentioned        = "ai_not_mentioned"
	FlagExceptionCritical     = "exception_critical_area"
	FlagExceptionRepeated     = "exception_repeated"
	FlagExceptionDataUse      = "exception_retention_training"
	FlagUntestedControls      = "untested_controls"
	FlagReportDateEarly       = "report_date_before_period_end"
	FlagSOC3Only              = "soc3_only"
	FlagType1Only             = "type1_only"
	FlagSOC1                  = "soc1_wrong_kind"
	FlagNoSOCReport           = "no_soc_report"
	FlagAuditorUnverifiable   = "auditor_unverifiable"
	FlagBoilerplate           = "boilerplate_zero_incidents"
	FlagPenTestStale          = "pentest_stale"
	FlagPenTestOpenFindings   = "pentest_open_findings"
	FlagPenTestNoAI           = "pentest_ai_not_covered"
	FlagNoProcessingIntegrity = "processing_integrity_missing"
	FlagTrainingPermitted     = "training_on_customer_data"
	FlagDataFlowGaps          = "data_flow_gaps"
	FlagPolicyGaps            = "policy_gaps"
	FlagNeedsOCR              = "needs_ocr"
	FlagUnsupportedLanguage   = "unsupported_language"
	FlagUnreadable            = "document_unreadable"
	FlagActiveContent         = "active_content"
)

var flagCatalog = map[string]flagInfo{
	FlagOpinionQualified:      {SeverityHigh, "Qualified opinion", "Read the basis for the qualification, confirm the failed controls do not protect your data, and ask the vendor for its remediation plan and evidence that it worked."},
	FlagOpinionAdverse:        {SeverityHigh, "Adverse opinion", "Do not rely on this report. Ask for a remediation plan and a new examination, and decide whether compensating controls or another vendor are needed."},
	FlagOpinionDisclaimer:     {SeverityHigh, "Disclaimer of opinion", "The auditor could not form an opinion, so the report gives no assurance. Ask for a new examination before relying on the vendor."},
	FlagReportStale:           {SeverityHigh, "Report is stale", "Ask for the current report. If the next one is not issued yet, require a bridge letter now and a date for the new report."},
	FlagBridgeMissing:         {SeverityHigh, "No bridge letter for the gap", "Ask the vendor for a bridge letter signed by an officer that covers the period from the report's end to today and states whether anything material changed."},
	FlagBridgeVague:           {SeverityMedium, "Bridge letter is qualified", "Ask the vendor to describe each change behind the \"except for\" wording and which controls it touches, and to confirm nothing else changed."},
	FlagAIOutOfScope:          {SeverityHigh, "AI components carved out", "Ask for separate assurance over the AI components (the model provider's own SOC 2, an AI-specific assessment) and for contractual notice when AI scope changes."},
	FlagAINotMentioned:        {SeverityMedium, "Report is silent on AI", "Ask the vendor whether model training, inference APIs and agent workflows are inside the examined system, and get the answer in writing."},
	FlagExceptionCritical:     {SeverityHigh, "Exceptions in access, operations, change or processing integrity", "For each exception ask for the root cause, the remediation and the retest result, and weigh it against the sensitivity of the data you will share."},
	FlagExceptionRepeated:     {SeverityHigh, "Repeated exception", "The same control failed before. Ask why the earlier fix did not hold and require evidence of a lasting one."},
	FlagExceptionDataUse:      {SeverityHigh, "Exception touches retention or training", "Confirm in writing that your data was not kept or used beyond the contract while the control failed."},
	FlagUntestedControls:      {SeverityLow, "Controls not tested", "These controls did not operate, so nothing shows they work. Ask how the vendor would have handled the event and when it last did."},
	FlagReportDateEarly:       {SeverityHigh, "Report dated before its period ends", "An auditor cannot sign an opinion on a period that has not ended. Ask the vendor and the audit firm to explain, and treat the report as unreliable until they do."},
	FlagSOC3Only:              {SeverityMedium, "Only a SOC 3", "A SOC 3 leaves out the tests and their results. Ask for the SOC 2 Type 2 under NDA."},
	FlagType1Only:             {SeverityMedium, "Only a Type 1", "A Type 1 shows design at one date, not that controls worked over time. Ask for a Type 2 or its expected date."},
	FlagSOC1:                  {SeverityMedium, "SOC 1 is the wrong kind of report", "A SOC 1 covers controls over financial reporting, not security. Ask for a SOC 2."},
	FlagNoSOCReport:           {SeverityHigh, "No SOC 2 or SOC 3 report", "Ask the vendor for its SOC 2 Type 2 report; without one the security review cannot rely on independent testing."},
	FlagAuditorUnverifiable:   {SeverityHigh, "Auditor cannot be verified", "The report names no CPA firm. Ask for the signed report and check the firm in the AICPA peer review file before relying on it."},
	FlagBoilerplate:           {SeverityMedium, "Boilerplate report claiming zero incidents", "A report that repeats itself and claims no incidents deserves doubt. Ask for the vendor's incident log summary and check the audit firm's independence and peer review."},
	FlagPenTestStale:          {SeverityMedium, "Penetration test is old", "Ask for a penetration test performed in the last 12 months."},
	FlagPenTestOpenFindings:   {SeverityHigh, "Open critical or high pen-test findings", "Ask for the remediation plan, dates and retest evidence for each open critical or high finding."},
	FlagPenTestNoAI:           {SeverityMedium, "Pen test did not cover AI endpoints", "Ask for testing of the AI endpoints, including prompt injection and data leakage through model outputs."},
	FlagNoProcessingIntegrity: {SeverityMedium, "Processing integrity never mentioned", "For AI services, processing integrity is the category about complete, accurate and timely outputs. Ask whether it is, or will be, in scope."},
	FlagTrainingPermitted:     {SeverityHigh, "Vendor may train on customer data", "Require in the contract that customer data is never used for training without your written opt-in."},
	FlagDataFlowGaps:          {SeverityLow, "Data-flow description has gaps", "Ask for a description that shows where prompts, training data and model artifacts go and where they are stored."},
	FlagPolicyGaps:            {SeverityLow, "Policy index has gaps", "Ask for the missing policies or for where their topics are covered."},
	FlagNeedsOCR:              {SeverityHigh, "Document needs OCR", "The file is a scan without a text layer, so it was not analysed. Ask for the original PDF or review it by hand."},
	FlagUnsupportedLanguage:   {SeverityHigh, "Document not in English", "Only English reports are analysed. Ask for an English version or have a reader of the language review it."},
	FlagUnreadable:            {SeverityHigh, "Document could not be read", "Ask the vendor for a new copy of the file without an open password."},
	FlagActiveContent:         {SeverityHigh, "PDF contains scripts or attached files", "The file was read without running anything, but a security report has no need for scripts or attachments. Ask the vendor for a clean export."},
}

// criticalCriteriaRe matches the criteria whose exceptions weigh most:
// logical access (CC6), system operations (CC7), change management (CC8)
// and processing integrity (PI1).
var (
	criticalCriteriaRe = regexp.MustCompile(`^(CC[678]\.|PI1\.)`)
	dataUseRe          = regexp.MustCompile(`(?i)\b(retain|retained|retention|delet\w*|dispos\w*|purg\w*|train\w*|fine[- ]?tun\w*|model\s+(data|inputs?))\b`)
)

// flagger collects red flags and remembers which document raised them.
type flagger struct {
	p     *packet
	flags []RedFlag
	index map[string]int
}

func (g *flagger) raise(code, detail string, doc int, ev ...Citation) {
	info := flagCatalog[code]
	if i, ok := g.index[code]; ok {
		g.flags[i].Evidence = append(g.flags[i].Evidence, ev...)
		if detail != "" && !strings.Contains(g.flags[i].Detail, detail) {
			g.flags[i].Detail += "; " + detail
		}
	} else {
		g.index[code] = len(g.flags)
		g.flags = append(g.flags, RedFlag{Code: code, Severity: info.severity, Title: info.title, Detail: detail, Response: info.response, Evidence: ev})
	}
	if doc >= 0 && !contains(g.p.docFlags[doc], code) {
		g.p.docFlags[doc] = append(g.p.docFlags[doc], code)
	}
}

// redFlags lists every red flag of the packet, high severity first.
func (p *packet) redFlags() []RedFlag {
	g := &flagger{p: p, index: map[string]int{}}
	for i, d := range p.docs {
		p.documentFlags(g, i, d)
	}
	p.packetFlags(g)
	order := map[string]int{SeverityHigh: 0, SeverityMedium: 1, SeverityLow: 2}
	out := g.flags
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && order[out[j].Severity] < order[out[j-1].Severity]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func (p *packet) documentFlags(g *flagger, i int, d DocumentResult) {
	doc := Citation{Document: d.Name}
	switch d.Status {
	case DocUnreadable:
		g.raise(FlagUnreadable, d.Name+": "+d.Problem, i, doc)
	case DocNeedsOCR:
		g.raise(FlagNeedsOCR, d.Name+": "+d.Quality.Reason, i, doc)
	case DocUnsupportedLanguage:
		g.raise(FlagUnsupportedLanguage, fmt.Sprintf("%s is in %s", d.Name, languageNames[d.Quality.Language]), i, doc)
	}
	if d.Text != nil && len(d.Text.Active) > 0 {
		var kinds []string
		for _, a := range d.Text.Active {
			kinds = append(kinds, fmt.Sprintf("%s ×%d", a.Kind, a.Count))
		}
		g.raise(FlagActiveContent, d.Name+": "+strings.Join(kinds, ", "), i, doc)
	}
	x := d.Fields
	if d.Status != DocOK || x == nil {
		return
	}
	switch d.Kind {
	case KindSOC1:
		g.raise(FlagSOC1, d.Name+" is a SOC 1 report", i, p.cite(i, d.KindEvidence))
	case KindBridgeLetter:
		if b := x.Bridge; b != nil && b.Qualifier != nil {
			g.raise(FlagBridgeVague, fmt.Sprintf("%s says no material changes %s…", d.Name, b.Qualifier.Value), i, p.cite(i, b.Qualifier))
		}
	case KindPenTest:
		p.penTestFlags(g, i, x.PenTest)
	case KindDataFlow:
		if missing := uncovered(x.DataFlow); len(missing) > 0 {
			g.raise(FlagDataFlowGaps, d.Name+" does not show "+joinAnd(missing), i, doc)
		}
	case KindPolicyIndex:
		if missing := uncovered(x.Policies); len(missing) > 0 {
			g.raise(FlagPolicyGaps, d.Name+" has no policy on "+joinAnd(missing), i, doc)
		}
	}
	if !d.Kind.IsSOC() {
		return
	}
	switch value := fieldValue(x.Opinion); value {
	case OpinionQualified:
		g.raise(FlagOpinionQualified, d.Name+" has a qualified (\"except for\") opinion", i, p.cite(i, x.Opinion))
	case OpinionAdverse:
		g.raise(FlagOpinionAdverse, d.Name+" has an adverse opinion", i, p.cite(i, x.Opinion))
	case OpinionDisclaimer:
		g.raise(FlagOpinionDisclaimer, d.Name+" has a disclaimer of opinion", i, p.cite(i, x.Opinion))
	}
	if x.ReportDate != nil && x.PeriodEnd != nil {
		rd, ok1 := parseDate(x.ReportDate.Value)
		pe, ok2 := parseDate(x.PeriodEnd.Value)
		if ok1 && ok2 && rd.Before(pe) {
			g.raise(FlagReportDateEarly, fmt.Sprintf("%s is dated %s but its period ends %s", d.Name, x.ReportDate.Value, x.PeriodEnd.Value), i, p.cite(i, x.ReportDate), p.cite(i, x.PeriodEnd))
		}
	}
	repeatedBefore := p.priorExceptionIDs()
	for _, e := range x.Exceptions {
		ev := Citation{Document: d.Name, Page: e.Page, Quote: e.Quote}
		label := e.ControlID
		if label == "" {
			label = "a control"
		}
		critical := false
		for _, c := range append([]string{e.ControlID}, e.Criteria...) {
			critical = critical || criticalCriteriaRe.MatchString(c)
		}
		if critical {
			g.raise(FlagExceptionCritical, "exception in "+label, i, ev)
		}
		if e.Repeat || e.ControlID != "" && repeatedBefore[e.ControlID] {
			g.raise(FlagExceptionRepeated, label+" failed in an earlier report too", i, ev)
		}
		if dataUseRe.MatchString(e.Description) {
			g.raise(FlagExceptionDataUse, "exception in "+label+" concerns data retention or training", i, ev)
		}
	}
	if n := len(x.Untested); n > 0 {
		var ids []string
		for _, e := range x.Untested {
			ids = append(ids, cmp.Or(e.ControlID, "unnumbered"))
		}
		g.raise(FlagUntestedControls, fmt.Sprintf("%d controls in %s were not tested: %s", n, d.Name, strings.Join(ids, ", ")), i, Citation{Document: d.Name, Page: x.Untested[0].Page, Quote: x.Untested[0].Quote})
	}
	if x.ZeroIncidents != nil && x.Boilerplate >= 0.3 {
		g.raise(FlagBoilerplate, fmt.Sprintf("%s claims no incidents and %.0f%% of its paragraphs repeat", d.Name, 100*x.Boilerplate), i, p.cite(i, x.ZeroIncidents))
	}
}

func (p *packet) penTestFlags(g *flagger, i int, pt *PenTest) {
	if pt == nil {
		return
	}
	name := p.docs[i].Name
	if pt.Date != nil {
		if t, ok := parseDate(pt.Date.Value); ok && addMonths(t, p.policy.MaxPenTestAgeMonths).Before(p.asOf) {
			g.raise(FlagPenTestStale, fmt.Sprintf("%s is dated %s", name, pt.Date.Value), i, p.cite(i, pt.Date))
		}
	}
	if pt.OpenCritical+pt.OpenHigh > 0 {
		ev := make([]Citation, 0, len(pt.OpenFindings))
		for _, f := range pt.OpenFindings {
			ev = append(ev, p.cite(i, &f))
		}
		g.raise(FlagPenTestOpenFindings, fmt.Sprintf("%s: %d critical and %d high findings open", name, pt.OpenCritical, pt.OpenHigh), i, ev...)
	}
	if pt.CoversAI != nil && pt.CoversAI.Value == "no" {
		g.raise(FlagPenTestNoAI, name+" names no AI endpoint in its scope", i, Citation{Document: name})
	}
}

// priorExceptionIDs are the control IDs with exceptions in earlier reviews
// of the vendor, for reports with a different period.
func (p *packet) priorExceptionIDs() map[string]bool {
	ids := map[string]bool{}
	current := ""
	if x := p.primaryFields(); x != nil && x.PeriodEnd != nil {
		current = x.PeriodEnd.Value
	}
	for _, r := range p.prior {
		for _, d := range r.Documents {
			if d.Fields == nil || !d.Kind.IsSOC() || d.Fields.PeriodEnd != nil && d.Fields.PeriodEnd.Value == current {
				continue
			}
			for _, e := range d.Fields.Exceptions {
				if e.ControlID != "" {
					ids[e.ControlID] = true
				}
			}
		}
	}
	return ids
}

func (p *packet) packetFlags(g *flagger) {
	d := p.primaryDoc()
	if d == nil {
		g.raise(FlagNoSOCReport, "the packet holds no SOC 2 or SOC 3 report", -1)
	} else {
		x := d.Fields
		switch d.Kind {
		case KindSOC3:
			g.raise(FlagSOC3Only, d.Name+" is a SOC 3 and no SOC 2 was provided", p.primary, p.cite(p.primary, d.KindEvidence))
		case KindSOC2Type1:
			g.raise(FlagType1Only, d.Name+" is a Type 1 and no Type 2 was provided", p.primary, p.cite(p.primary, d.KindEvidence))
		}
		if end, f := coverageEnd(x); !end.IsZero() {
			if stale := addMonths(end, p.policy.MaxReportAgeMonths); stale.Before(p.asOf) {
				g.raise(FlagReportStale, fmt.Sprintf("the report's coverage ended %s and went stale on %s", f.Value, stale.Format(dateLayout)), p.primary, p.cite(p.primary, f))
			}
			if end.Before(p.asOf) {
				p.bridgeFlags(g, end, f)
			}
		}
		switch aiStatus(x) {
		case AICarvedOut:
			ev := make([]Citation, 0, 3)
			for _, f := range x.AI.Evidence[:min(len(x.AI.Evidence), 3)] {
				ev = append(ev, p.cite(p.primary, &f))
			}
			g.raise(FlagAIOutOfScope, d.Name+" excludes AI components from the examined system", p.primary, ev...)
		case AINotMentioned, AIMentioned:
			g.raise(FlagAINotMentioned, d.Name+" does not place AI components inside or outside the system", p.primary, Citation{Document: d.Name})
		}
		if x.ServiceAuditor == nil {
			g.raise(FlagAuditorUnverifiable, d.Name+" names no CPA firm", p.primary, Citation{Document: d.Name})
		}
	}
	mentioned := false
	for _, doc := range p.docs {
		mentioned = mentioned || doc.Fields != nil && doc.Fields.ProcessingIntegrity != nil
	}
	if !mentioned {
		g.raise(FlagNoProcessingIntegrity, "no document mentions processing integrity", -1)
	}
	if doc, f := p.trainingCommitment(); f != nil && f.Value == TrainingPermitted {
		g.raise(FlagTrainingPermitted, p.docs[doc].Name+" allows training on customer data by default", doc, p.cite(doc, f))
	}
}

func (p *packet) bridgeFlags(g *flagger, end time.Time, f *Field) {
	bc, ok := p.bestBridge()
	if !ok {
		g.raise(FlagBridgeMissing, fmt.Sprintf("nothing covers %s to %s", end.AddDate(0, 0, 1).Format(dateLayout), p.asOf.Format(dateLayout)), p.primary, p.cite(p.primary, f))
		return
	}
	if bc.through.AddDate(0, 0, p.policy.BridgeGraceDays).Before(p.asOf) {
		g.raise(FlagBridgeMissing, fmt.Sprintf("the latest bridge letter covers up to %s only", bc.through.Format(dateLayout)), bc.doc, p.cite(bc.doc, firstField(bc.b.GapTo, bc.b.LetterDate)))
	}
}

func aiStatus(x *Extraction) string {
	if x.AI == nil {
		return AINotMentioned
	}
	return x.AI.Status
}

func uncovered(topics []Topic) []string {
	var out []string
	for _, t := range topics {
		if !t.Covered {
			out = append(out, t.Topic)
		}
	}
	return out
}

func fieldValue(f *Field) string {
	if f == nil {
		return ""
	}
	return f.Value
}
