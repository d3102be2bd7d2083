package vendor

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func doc(pages ...string) *textDoc { return newTextDoc(pages) }

func TestFindDates(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"January 1, 2025 and 31 December 2025", []string{"2025-01-01", "2025-12-31"}},
		{"Sept. 30, 2024; Feb 3rd, 2026; 2025-06-30; 07/04/2025", []string{"2024-09-30", "2026-02-03", "2025-06-30", "2025-07-04"}},
		{"June 31, 2025 is not a date, nor is 13/01/2025 or 1 Smarch 2025", nil},
		{"the 1st of March, 2025", []string{"2025-03-01"}},
	}
	for _, tt := range tests {
		var got []string
		for _, d := range findDates(tt.in) {
			got = append(got, d.t.Format(dateLayout))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("findDates(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if r := findRanges("from October 1, 2024 through September 30, 2025"); len(r) != 1 || r[0].to.t.Month() != time.September {
		t.Errorf("findRanges = %+v", r)
	}
	if r := findRanges("December 31, 2025 to January 1, 2025"); len(r) != 0 {
		t.Errorf("a backwards range was accepted: %+v", r)
	}
	if got := addMonths(date("2024-02-29"), 12).Format(dateLayout); got != "2025-02-28" {
		t.Errorf("addMonths = %s", got)
	}
}

func TestReportPeriod(t *testing.T) {
	tests := []struct {
		name       string
		pages      []string
		start, end string
	}{
		{"year left off the start", []string{"Report for the period January 1 through December 31, 2025"}, "2025-01-01", "2025-12-31"},
		{"day-first without year", []string{"Review period: 1 July to 30 June 2025"}, "2024-07-01", "2025-06-30"},
		{"twelve months ended", []string{"for the twelve-month period ended March 31, 2025"}, "2024-04-01", "2025-03-31"},
		{"exception window loses to the period", []string{
			"SOC 2 Type 2\nFor the period January 1, 2025 to December 31, 2025",
			"p2", "p3", "p4",
			"Exception noted. During the period March 3, 2025 to March 9, 2025 alerts were off.",
		}, "2025-01-01", "2025-12-31"},
	}
	for _, tt := range tests {
		s, e := reportPeriod(doc(tt.pages...))
		if fieldValue(s) != tt.start || fieldValue(e) != tt.end {
			t.Errorf("%s: period %s..%s, want %s..%s", tt.name, fieldValue(s), fieldValue(e), tt.start, tt.end)
		}
	}
}

func TestReportDate(t *testing.T) {
	auditor := "Independent Service Auditor's Report\nWe have examined the description for the period January 1, 2025 to\nDecember 31, 2025.\n\nOpinion\nIn our opinion, in all material respects, the controls operated effectively.\n\n"
	tests := []struct {
		name, tail, want string
	}{
		{"city then date", "/s/ Vale & Co. LLP\nDenver, Colorado\nFebruary 14, 2026\n\nManagement's Assertion\nWe assert.", "2026-02-14"},
		{"date only", "Vale & Co. LLP\n14 February 2026\n\nSection 2: Management's Assertion\n", "2026-02-14"},
		{"wrapped period end is not the report date", "Vale & Co. LLP\n\nManagement's Assertion\nMarch 1, 2026", ""},
	}
	for _, tt := range tests {
		d := doc(auditor + tt.tail)
		from, to := d.auditorSection()
		if got := fieldValue(reportDate(d, from, to)); got != tt.want {
			t.Errorf("%s: report date %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestOpinion(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"In our opinion, in all material respects, the controls operated effectively.", OpinionUnqualified},
		{"In our opinion, except for the effects of the matter described above, the controls operated effectively.", OpinionQualified},
		{"Adverse Opinion\nIn our opinion, because of the significance of the matter described, the controls did not operate effectively.", OpinionAdverse},
		{"Because of the significance of the matter we have not been able to obtain sufficient appropriate evidence. Accordingly, we do not express an opinion on whether the controls operated effectively.", OpinionDisclaimer},
		{"In our opinion, in all material respects, the controls operated effectively.\n\nManagement's response to the exceptions has not been examined and, accordingly, we do not express an opinion on management's response.", OpinionUnqualified},
		{"In our opinion, management's assertion is fairly stated, in all material respects.", OpinionUnqualified},
		{"We have examined management's assertion that the controls were effective.", ""},
	}
	for _, tt := range tests {
		d := doc("Independent Service Auditor's Report\nWe have examined the system.\n\n" + tt.text)
		from, to := d.auditorSection()
		if got := fieldValue(opinion(d, from, to)); got != tt.want {
			t.Errorf("opinion(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestCategories(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"Report on controls relevant to Security, Availability, and Confidentiality throughout the period", []string{CategorySecurity, CategoryAvailability, CategoryConfidentiality}},
		{"based on the trust services criteria relevant to security and privacy (applicable trust services criteria) set forth in TSP section 100, 2017 Trust Services Criteria for Security, Availability, Processing Integrity, Confidentiality, and Privacy", []string{CategorySecurity, CategoryPrivacy}},
		{"TSP section 100, 2017 Trust Services Criteria for Security, Availability, Processing Integrity, Confidentiality, and Privacy", nil},
		{"Trust Services Categories in scope: Security; Processing Integrity", []string{CategorySecurity, CategoryProcessingIntegrity}},
		{"CC6.1 Logical access is restricted.   No exceptions noted.\nA1.2 Backups run.   No exceptions noted.", []string{CategorySecurity, CategoryAvailability}},
	}
	for _, tt := range tests {
		if got := values(categories(doc(tt.text))); !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0 {
			t.Errorf("categories(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestTestResults(t *testing.T) {
	page := strings.Join([]string{
		"Description of Tests of Controls and Results",
		"Control   Control Activity           Tests Performed               Exceptions Noted",
		"Exceptions noted in Section 4 are described by the service auditor in the table below.",
		"",
		"CC6.1   Access is approved.        Inspected 25 approvals.       No",
		"                                                                  exceptions noted.",
		"CC6.2   Access is reviewed.        Inspected reviews.            Exceptions",
		"                                                                  noted. 3 of 4 reviews were late.",
		"CC7.1   Scans run weekly.          Inspected scan logs.          Without exception.",
		"CC7.4   Incidents are handled.     Inquired of management.       The control did not operate during the period; therefore, no testing was performed.",
		"PI1.3   Outputs are checked.       Reperformed 10 checks.        One exception was noted: 1 of 10 checks was skipped.",
		"",
		"Other Information Provided by the Company",
		"CC6.2   Exception noted. Management will fix it.",
	}, "\n")
	n, exc, untested := testResults(doc(page))
	if got := controlIDs(exc); !slices.Equal(got, []string{"CC6.2", "PI1.3"}) {
		t.Errorf("exceptions = %v", got)
	}
	if got := controlIDs(untested); !slices.Equal(got, []string{"CC7.4"}) {
		t.Errorf("untested = %v", got)
	}
	if n != 5 {
		t.Errorf("results read = %d, want 5", n)
	}
	if !strings.Contains(exc[0].Description, "3 of 4 reviews were late") {
		t.Errorf("description = %q", exc[0].Description)
	}
}

func TestCommitments(t *testing.T) {
	tests := []struct {
		text, training, retention string
	}{
		{"We never use customer data to train our models.", TrainingForbidden, ""},
		{"Customer prompts are not used for training unless the customer opts in.", TrainingOptIn, ""},
		{"We may use your content to improve our models; you can opt out at any time.", TrainingPermitted, ""},
		{"We may use customer data to train models. We never use customer data to train models without consent.", TrainingPermitted, ""},
		{"Prompts and completions are not stored after the response is returned.", "", "zero"},
		{"API inputs and outputs are retained for up to thirty days for abuse monitoring.", "", "30 days"},
		{"Training of staff happens yearly.", "", ""},
	}
	for _, tt := range tests {
		c := commitments(doc(tt.text))
		if fieldValue(c.Training) != tt.training || fieldValue(c.Retention) != tt.retention {
			t.Errorf("commitments(%q) = %q/%q, want %q/%q", tt.text, fieldValue(c.Training), fieldValue(c.Retention), tt.training, tt.retention)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		pages []string
		want  Kind
	}{
		{[]string{"Acme, Inc.\nSOC 2 Type 1 Report\nAs of June 30, 2025"}, KindSOC2Type1},
		{[]string{"Acme\nService Organization Control 2 Report\nType II"}, KindSOC2Type2},
		{[]string{"SOC 3® Report for Acme"}, KindSOC3},
		{[]string{"Acme\nSOC® 2 Type II Examination"}, KindSOC2Type2},
		{[]string{"Report on Controls Relevant to Internal Control over Financial Reporting\nSOC 1 Type 2"}, KindSOC1},
		{[]string{"Acme\nSOC 2 Bridge Letter\nThis letter covers..."}, KindBridgeLetter},
		{[]string{"Acme\nVendor Security Questionnaire\nQ1. Do you have a SOC 2 Type II report?\nYes."}, KindOther},
		{[]string{"Independent Service Auditor's Report\nWe have examined the description of the system and management's assertion, based on the trust services criteria."}, KindSOC2Type2},
		{[]string{"Annual Penetration Test Report\nFindings"}, KindPenTest},
		{[]string{"Data Flow Diagram\nPrompts go to the model"}, KindDataFlow},
		{[]string{"Data Processing Agreement\nThe Processor shall..."}, KindDPA},
		{[]string{"Policy Index\nAccess Control Policy\nIncident Response Policy\nRetention Policy"}, KindPolicyIndex},
		{[]string{"Price list\nWidgets 10 USD"}, KindOther},
	}
	for _, tt := range tests {
		if got := classify(doc(tt.pages...)).kind; got != tt.want {
			t.Errorf("classify(%q) = %s, want %s", tt.pages[0], got, tt.want)
		}
	}
}

func TestTextDocBoilerplate(t *testing.T) {
	var pages []string
	for i := 1; i <= 5; i++ {
		pages = append(pages, "Acme SOC 2 | Confidential\nBody text of page "+strings.Repeat("x", i)+"\nPage "+string(rune('0'+i))+" of 5")
	}
	d := doc(pages...)
	for _, l := range d.lines {
		boiler := strings.HasPrefix(l.norm, "Acme SOC 2") || strings.HasPrefix(l.norm, "Page ")
		if l.norm != "" && l.boiler != boiler {
			t.Errorf("line %q: boiler = %v", l.norm, l.boiler)
		}
	}
	for _, h := range []string{"Section 4: Tests of Controls", "III. DESCRIPTION OF THE SYSTEM", "Complementary User Entity Controls", "B. Subservice Organizations"} {
		if !isHeading(h) {
			t.Errorf("%q is not seen as a heading", h)
		}
	}
	for _, s := range []string{"The controls operated effectively.", "Relevant to Security, Availability, and", "1"} {
		if isHeading(s) {
			t.Errorf("%q is seen as a heading", s)
		}
	}
}
