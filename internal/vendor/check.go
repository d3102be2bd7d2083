package vendor

import (
	"fmt"
	"strings"
	"time"
)

// Answers to the questions of the ten-minute check.
const (
	AnswerYes     = "yes"
	AnswerNo      = "no"
	AnswerUnknown = "unknown"
	// AnswerManual means a person must finish the check offline; it is
	// used only for verifying the auditor.
	AnswerManual = "manual"
)

// Question IDs of the ten-minute check.
const (
	QReportCurrent  = "report_current"
	QBridgeCovers   = "bridge_covers_gap"
	QAuditor        = "auditor_verifiable"
	QAIInScope      = "ai_in_scope"
	QNoTraining     = "no_training_without_opt_in"
	QCategoriesDone = "categories_covered"
)

// Question is one question of the ten-minute check with its answer and
// the evidence behind it.
type Question struct {
	ID       string     `json:"id"`
	Text     string     `json:"text"`
	Answer   string     `json:"answer"`
	Detail   string     `json:"detail"`
	Evidence []Citation `json:"evidence,omitempty"`
	// Lookup is where to verify the answer by hand.
	Lookup string `json:"lookup,omitempty"`
}

// AICPAPeerReviewURL is the AICPA's public file of peer reviews, where a
// CPA firm's enrollment and latest review result can be looked up.
const AICPAPeerReviewURL = "https://peerreview.aicpa.org/public_file_search.html"

// CPAVerifyURL looks up individual CPA licences across US state boards.
const CPAVerifyURL = "https://cpaverify.org"

// PeerReviewLookup is the instruction a reviewer follows to verify a firm.
func PeerReviewLookup(firm string) string {
	return fmt.Sprintf("Search the AICPA Peer Review public file at %s for %q: confirm the firm is enrolled, its latest peer review is dated within the last three years and its rating is pass. Check the signing partner's licence at %s.", AICPAPeerReviewURL, firm, CPAVerifyURL)
}

// questions answers the six questions of the ten-minute check.
func (p *packet) questions() []Question {
	return []Question{p.qReportCurrent(), p.qBridge(), p.qAuditor(), p.qAI(), p.qTraining(), p.qCategories()}
}

func (p *packet) qReportCurrent() Question {
	q := Question{ID: QReportCurrent, Text: "Is the report dated within the last 12 months?"}
	d := p.primaryDoc()
	if d == nil {
		q.Answer, q.Detail = AnswerNo, "the packet holds no SOC 2 or SOC 3 report"
		return q
	}
	x := d.Fields
	f, what := x.ReportDate, "report date"
	if f == nil {
		_, f = coverageEnd(x)
		what = "period end (the report gives no signature date)"
	}
	t, ok := time.Time{}, false
	if f != nil {
		t, ok = parseDate(f.Value)
	}
	if !ok {
		q.Answer, q.Detail = AnswerUnknown, "no report date or period was found in "+d.Name
		return q
	}
	q.Evidence = []Citation{p.cite(p.primary, f)}
	limit := addMonths(p.asOf, -p.policy.MaxReportAgeMonths)
	switch {
	case t.After(p.asOf):
		q.Answer, q.Detail = AnswerNo, fmt.Sprintf("the %s %s is after the review date %s; check the report's dates", what, f.Value, p.asOf.Format(dateLayout))
	case t.Before(limit):
		q.Answer, q.Detail = AnswerNo, fmt.Sprintf("the %s %s is more than %d months before %s", what, f.Value, p.policy.MaxReportAgeMonths, p.asOf.Format(dateLayout))
	default:
		q.Answer, q.Detail = AnswerYes, fmt.Sprintf("the %s is %s", what, f.Value)
	}
	return q
}

func (p *packet) qBridge() Question {
	q := Question{ID: QBridgeCovers, Text: "Does a bridge letter cover the gap to today?"}
	d := p.primaryDoc()
	if d == nil {
		q.Answer, q.Detail = AnswerNo, "there is no report for a bridge letter to extend"
		return q
	}
	end, f := coverageEnd(d.Fields)
	if end.IsZero() {
		q.Answer, q.Detail = AnswerUnknown, "the report's period end was not found, so the gap cannot be measured"
		return q
	}
	q.Evidence = []Citation{p.cite(p.primary, f)}
	if !end.Before(p.asOf) {
		q.Answer, q.Detail = AnswerYes, fmt.Sprintf("the report covers up to %s, so there is no gap yet", f.Value)
		return q
	}
	bc, ok := p.bestBridge()
	if !ok {
		q.Answer, q.Detail = AnswerNo, fmt.Sprintf("the report ends %s and no bridge letter covers the %d days since", f.Value, int(p.asOf.Sub(end).Hours()/24))
		return q
	}
	b := bc.b
	q.Evidence = append(q.Evidence, p.cite(bc.doc, firstField(b.GapTo, b.LetterDate)))
	switch {
	case b.Qualifier != nil:
		q.Answer, q.Detail = AnswerNo, fmt.Sprintf("the bridge letter qualifies its statement (%q), so it does not vouch for the whole gap", b.Qualifier.Value)
		q.Evidence = append(q.Evidence, p.cite(bc.doc, b.Qualifier))
	case b.NoMaterialChanges == nil || b.NoMaterialChanges.Value != "yes":
		q.Answer, q.Detail = AnswerNo, "the bridge letter does not state that there were no material changes"
	case bc.through.AddDate(0, 0, p.policy.BridgeGraceDays).Before(p.asOf):
		q.Answer, q.Detail = AnswerNo, fmt.Sprintf("the bridge letter covers up to %s, more than %d days before %s", bc.through.Format(dateLayout), p.policy.BridgeGraceDays, p.asOf.Format(dateLayout))
	default:
		q.Answer, q.Detail = AnswerYes, fmt.Sprintf("a bridge letter covers %s to %s with no material changes", end.AddDate(0, 0, 1).Format(dateLayout), bc.through.Format(dateLayout))
	}
	return q
}

// firstField returns the first non-nil field.
func firstField(fs ...*Field) *Field {
	for _, f := range fs {
		if f != nil {
			return f
		}
	}
	return nil
}

func (p *packet) qAuditor() Question {
	q := Question{ID: QAuditor, Text: "Can the auditor be verified?", Lookup: AICPAPeerReviewURL}
	d := p.primaryDoc()
	if d == nil || d.Fields.ServiceAuditor == nil {
		q.Answer, q.Detail = AnswerNo, "the report does not name its CPA firm, so nobody can be held to it; ask for the signed report"
		return q
	}
	firm := d.Fields.ServiceAuditor
	q.Answer = AnswerManual
	q.Detail = PeerReviewLookup(firm.Value)
	q.Evidence = []Citation{p.cite(p.primary, firm)}
	return q
}

func (p *packet) qAI() Question {
	q := Question{ID: QAIInScope, Text: "Are the AI components in scope?"}
	d := p.primaryDoc()
	if d == nil || d.Fields.AI == nil {
		q.Answer, q.Detail = AnswerUnknown, "there is no report to say what the examined system contains"
		return q
	}
	ai := d.Fields.AI
	for _, f := range ai.Evidence[:min(len(ai.Evidence), 3)] {
		q.Evidence = append(q.Evidence, p.cite(p.primary, &f))
	}
	switch ai.Status {
	case AIInScope:
		names := values(ai.Components)
		q.Answer, q.Detail = AnswerYes, "AI components are described inside the system"
		if len(names) > 0 {
			q.Detail += ": " + strings.Join(names, ", ")
		}
	case AICarvedOut:
		q.Answer, q.Detail = AnswerNo, "the report carves AI components out of its scope"
	case AINone:
		q.Answer, q.Detail = AnswerYes, "the report states the system uses no AI, so none is left out; confirm that matches the service you buy"
	case AIMentioned:
		q.Answer, q.Detail = AnswerUnknown, "the report mentions AI but does not say whether it is inside the system boundary"
	default:
		q.Answer, q.Detail = AnswerUnknown, "the report does not mention model training, inference or agent workflows"
	}
	return q
}

func (p *packet) qTraining() Question {
	q := Question{ID: QNoTraining, Text: "Is training on customer data forbidden without opt-in?"}
	doc, f := p.trainingCommitment()
	if f == nil {
		q.Answer, q.Detail = AnswerUnknown, "no document states whether customer data is used for training"
		return q
	}
	q.Evidence = []Citation{p.cite(doc, f)}
	switch f.Value {
	case TrainingForbidden:
		q.Answer, q.Detail = AnswerYes, "the vendor states customer data is not used for training"
	case TrainingOptIn:
		q.Answer, q.Detail = AnswerYes, "the vendor trains on customer data only after the customer opts in"
	default:
		q.Answer, q.Detail = AnswerNo, "the vendor may train on customer data unless the customer acts to stop it"
	}
	return q
}

// trainingCommitment returns the most permissive training statement of the
// packet and the document it is in.
func (p *packet) trainingCommitment() (int, *Field) {
	rank := map[string]int{TrainingForbidden: 1, TrainingOptIn: 2, TrainingPermitted: 3}
	doc, best := -1, (*Field)(nil)
	for i, d := range p.docs {
		if d.Fields == nil || d.Fields.Commitments.Training == nil {
			continue
		}
		f := d.Fields.Commitments.Training
		if best == nil || rank[f.Value] > rank[best.Value] {
			doc, best = i, f
		}
	}
	return doc, best
}

func (p *packet) qCategories() Question {
	q := Question{ID: QCategoriesDone, Text: "Are " + joinAnd(p.policy.RequiredCategories) + " all covered?"}
	d := p.primaryDoc()
	if d == nil {
		q.Answer, q.Detail = AnswerNo, "there is no report"
		return q
	}
	have := values(d.Fields.Categories)
	if len(d.Fields.Categories) > 0 {
		q.Evidence = []Citation{p.cite(p.primary, &d.Fields.Categories[0])}
	}
	var missing []string
	for _, c := range p.policy.RequiredCategories {
		if !contains(have, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		q.Answer, q.Detail = AnswerYes, "in scope: "+strings.Join(have, ", ")
		return q
	}
	q.Answer = AnswerNo
	q.Detail = "not in scope: " + strings.Join(missing, ", ")
	if len(have) > 0 {
		q.Detail += "; in scope: " + strings.Join(have, ", ")
	}
	return q
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
