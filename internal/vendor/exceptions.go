package vendor

import (
	"regexp"
	"strings"
)

var (
	testsHeadRe = regexp.MustCompile(`(?i)description\s+of\s+(the\s+)?(service\s+auditor` + apostrophe + `?s?\s+)?tests|tests?\s+of\s+(operating\s+effectiveness|controls)(\s+and\s+results)?|testing\s+matri|information\s+provided\s+by\s+(the\s+)?(independent\s+)?service\s+auditor|results\s+of\s+(the\s+)?tests|control\s+activities\s+and\s+tests`)
	testsEndRe  = regexp.MustCompile(`(?i)other\s+information\s+provided\s+by|management` + apostrophe + `?s?\s+responses?\s+to\s+(the\s+)?(testing\s+)?(exceptions|deviations)|^section\s+(5|v|five)\b`)
	controlIDRe = regexp.MustCompile(`^(?:([A-Z]{1,6})[-. ]?\d{1,3}(?:[.-]\d{1,3}){0,3}|\d{1,2}(?:\.\d{1,2}){1,3})(?:[\s:.)]|$)`)
	criteriaRe  = regexp.MustCompile(`\b(CC\s?\d{1,2}\.\d{1,2}|PI\s?1\.\d{1,2}|A\s?1\.\d{1,2}|C\s?1\.\d{1,2}|P\s?\d\.\d{1,2})\b`)
	resultRe    = regexp.MustCompile(`(?i)^(?:(?:the\s+following|an?|one|two|three|four|five|\d+|\(\d+\))\s+)?(?:exceptions?|deviations?)(?:\(s\))?(?:\s+(?:was|were))?\s*(?:(?:noted|identified|found|observed|detected)\b|[—–:-]|$)`)
	notResultRe = regexp.MustCompile(`(?i)^\s*(in\s+(section|the\s+(report|table|description|testing))|are\s+(described|presented|listed|included|summari[sz]ed)|is\s+(described|presented)|by\s+the\s+(service\s+)?auditor)`)
	passRe      = regexp.MustCompile(`(?i)\bno\s+(relevant\s+)?(exceptions?|deviations?)(\s+(were|was))?(\s+(noted|identified|found|observed|detected))?\b|\bwithout\s+exception\b`)
	untestedRe  = regexp.MustCompile(`(?i)\bno\s+testing\s+(was\s+)?performed|\b(was|were)\s+not\s+tested\b|\bnot\s+tested\b|\btesting\s+(was\s+)?not\s+performed|\bdid\s+not\s+operate\s+during\s+the\s+(review\s+|examination\s+|audit\s+|reporting\s+|specified\s+)?period|circumstances\s+that\s+warrant(ed)?\s+the\s+operation\s+of\s+(the|this|these)\s+controls?\s+did\s+not\s+occur|\bno\s+(instances|occurrences)\s+(of\s+[^.]{1,60}\s+)?(occurred|were\s+identified|were\s+noted)\b|\bunable\s+to\s+test\b|\bcould\s+not\s+be\s+tested\b`)
	repeatRe    = regexp.MustCompile(`(?i)repeat(ed)?\s+(finding|exception|deviation)|also\s+(noted|identified|reported)\s+in\s+the\s+prior|previously\s+(reported|identified|noted)|prior[- ](year|period|report)\s+(exception|finding|deviation)`)
)

// untestedHints are words every untested-control phrase contains.
var untestedHints = []string{"test", "operate", "occur", "instances"}

// notControlIDs are names of standards and products that look like
// control IDs at the start of a line.
var notControlIDs = wordSet("SOC ISO TLS SSL AES SHA RSA NIST PCI HIPAA GDPR SSAE AT ISAE COSO Q")

// controlID returns the control ID at the start of a table cell, or "".
func controlID(s string) string {
	m := controlIDRe.FindStringSubmatch(s)
	if m == nil || notControlIDs[m[1]] {
		return ""
	}
	return normalizeID(m[0])
}

// columnHeader reports whether the exception phrase at col is a table's
// column title, such as "Exceptions Noted" over the results column: the
// phrase alone in its cell, on a row with other cells and no control ID.
func columnHeader(cs []cell, col int) bool {
	if len(cs) < 2 || controlID(cs[0].text) != "" {
		return false
	}
	for _, c := range cs {
		if c.start <= col && col < c.end {
			title := strings.ToLower(strings.TrimSpace(c.text))
			return headerTitles[title]
		}
	}
	return false
}

var headerTitles = map[string]bool{
	"exceptions": true, "exception": true, "deviations": true, "deviation": true,
	"exceptions noted": true, "exception noted": true, "deviations noted": true, "deviation noted": true,
	"exception(s) noted": true, "exceptions identified": true, "deviations identified": true,
}

func untestedMatch(raw string, maybe bool) []int {
	if !maybe {
		return nil
	}
	return untestedRe.FindStringIndex(raw)
}

// cell is a column of a table row in layout text, with its position.
type cell struct {
	text       string
	start, end int
}

// cells splits a layout line into columns separated by two or more spaces.
func cells(raw string) []cell {
	var out []cell
	start := -1
	for i := 0; i <= len(raw); i++ {
		gap := i == len(raw) || raw[i] == ' ' && (i+1 == len(raw) || raw[i+1] == ' ') || raw[i] == '\t'
		switch {
		case start < 0 && i < len(raw) && raw[i] != ' ' && raw[i] != '\t':
			start = i
		case start >= 0 && gap:
			out = append(out, cell{raw[start:i], start, i})
			start = -1
		}
	}
	return out
}

// cellAt returns the cell of raw that overlaps column col, if any.
func cellAt(raw string, col int) (cell, bool) {
	for _, c := range cells(raw) {
		if c.start <= col+4 && c.end >= col {
			return c, true
		}
	}
	return cell{}, false
}

// testRange returns the lines holding the tests of controls: the section
// under a heading such as "Description of Tests of Controls and Results"
// (preferably one after the auditor's report, whose own paragraph on the
// tests may carry a similar title), or, without one, the whole report
// except the auditor's report.
func (d *textDoc) testRange() (from, to int, skipFrom, skipTo int) {
	skipFrom, skipTo = d.auditorSection()
	from = d.heading(testsHeadRe, max(skipTo, 0))
	if from < 0 {
		from = d.heading(testsHeadRe, 0)
	}
	if from >= 0 {
		to = len(d.lines)
		for i := from + 1; i < len(d.lines); i++ {
			if d.lines[i].heading && testsEndRe.MatchString(d.lines[i].norm) {
				to = i
				break
			}
		}
		return from, to, -1, -1
	}
	return 0, len(d.lines), skipFrom, skipTo
}

// testResults reads the results of the tests of controls. It counts every
// result, and returns each exception or deviation, and each control that
// was not tested because it did not operate, with its control ID, the
// criteria cited on its row and the description the auditor gave. One
// control reported in both the detailed tests and a summary table counts
// once.
func testResults(d *textDoc) (n int, exceptions, untested []Exception) {
	from, to, skipFrom, skipTo := d.testRange()
	cur, curLine := "", -1
	seen := map[string]bool{}
	record := func(e Exception, list *[]Exception) {
		key := e.Status + "|" + e.ControlID
		if e.ControlID == "" {
			key = e.Status + "|" + strings.ToLower(e.Description[:min(len(e.Description), 60)])
		}
		if seen[key] {
			return
		}
		seen[key] = true
		*list = append(*list, e)
	}
	prevRaw := ""
	for i := from; i < to; i++ {
		if i >= skipFrom && i < skipTo {
			continue
		}
		l := d.lines[i]
		if l.boiler || l.toc {
			continue
		}
		if l.norm == "" {
			prevRaw = ""
			continue
		}
		cs := cells(l.raw)
		lower := strings.ToLower(l.norm)
		if id := controlID(cs[0].text); id != "" && (!l.heading || criteriaRe.MatchString(id)) {
			cur, curLine = id, i
		}
		mentions := strings.Contains(lower, "exception") || strings.Contains(lower, "deviation")
		maybeUntested := containsAny(lower, untestedHints)
		if !mentions && !maybeUntested {
			prevRaw = l.raw
			continue
		}
		var col int
		var ok, negated bool
		if mentions {
			n += len(passRe.FindAllStringIndex(l.norm, -1))
			col, ok, negated = exceptionStart(l.raw, prevRaw)
		}
		if negated {
			n++
		}
		if ok && columnHeader(cs, col) {
			prevRaw = l.raw
			continue
		}
		if ok {
			n++
			desc, q := d.resultText(i, col, to)
			record(Exception{
				ControlID: cur, Criteria: d.rowCriteria(cur, curLine, i), Description: desc,
				Status: StatusException, Repeat: repeatRe.MatchString(desc), Page: l.page, Quote: q,
			}, &exceptions)
		} else if m := untestedMatch(l.raw, maybeUntested); m != nil {
			n++
			desc, q := d.resultText(i, m[0], to)
			record(Exception{
				ControlID: cur, Criteria: d.rowCriteria(cur, curLine, i), Description: desc,
				Status: StatusUntested, Page: l.page, Quote: q,
			}, &untested)
		}
		prevRaw = l.raw
	}
	return n, exceptions, untested
}

// exceptionStart finds a test result reporting an exception in a layout
// line: an exception phrase at the start of the line, of a table cell or
// of a sentence. A cell whose line above ends in "No" is the second half
// of "No exceptions noted": it is reported as negated, a pass.
func exceptionStart(raw, prevRaw string) (col int, found, negated bool) {
	starts := []int{}
	for _, c := range cells(raw) {
		starts = append(starts, c.start)
	}
	for i := 0; i+2 < len(raw); i++ {
		if (raw[i] == '.' || raw[i] == ';' || raw[i] == ':') && raw[i+1] == ' ' && raw[i+2] != ' ' {
			starts = append(starts, i+2)
		}
	}
	for _, s := range starts {
		// Every result phrase names an exception or deviation early on.
		head := strings.ToLower(raw[s:min(len(raw), s+30)])
		if !strings.Contains(head, "exception") && !strings.Contains(head, "deviation") {
			continue
		}
		m := resultRe.FindStringIndex(raw[s:])
		if m == nil || notResultRe.MatchString(raw[s+m[1]:]) {
			continue
		}
		if above, ok := cellAt(prevRaw, s); ok && above.end <= s+len("exceptions")+4 {
			words := strings.Fields(strings.ToLower(above.text))
			if len(words) > 0 && words[len(words)-1] == "no" {
				negated = true
				continue
			}
		}
		return s, true, negated
	}
	return 0, false, negated
}

// resultText gathers the description that starts at column col of line i
// and continues in the same column on the following lines, until a blank
// line, a new control or a new result.
func (d *textDoc) resultText(i, col, to int) (desc, q string) {
	first := d.lines[i].raw
	c, ok := cellAt(first, col)
	text := first[col:]
	if ok && c.start <= col {
		text = first[col:c.end]
	}
	parts := []string{strings.TrimSpace(text)}
	for j := i + 1; j < to && j < i+14; j++ {
		l := d.lines[j]
		if l.boiler || l.toc {
			continue
		}
		if l.norm == "" {
			break
		}
		cs := cells(l.raw)
		if controlID(cs[0].text) != "" && cs[0].start <= col {
			break
		}
		next, ok := cellAt(l.raw, col)
		if !ok {
			continue
		}
		lower := strings.ToLower(next.text)
		if _, isResult, _ := exceptionStart(next.text, ""); isResult || strings.HasPrefix(lower, "no exception") || strings.HasPrefix(lower, "no deviation") {
			break
		}
		parts = append(parts, next.text)
	}
	desc = strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
	if len(desc) > 600 {
		cut := strings.LastIndex(desc[:600], " ")
		desc = desc[:max(cut, 1)] + "…"
	}
	return desc, quote(desc, 0, min(len(desc), 120))
}

// rowCriteria lists the Trust Services criteria cited for the control: its
// own ID when it is a criterion, else criteria on the lines of its row.
func (d *textDoc) rowCriteria(id string, from, to int) []string {
	if c := criteriaRe.FindString(id); c != "" {
		return []string{normalizeID(c)}
	}
	var out []string
	if from < 0 {
		from = to
	}
	// A row spans a few lines; looking further back would only pick up the
	// criteria of other rows, and costs time on long tables.
	from = max(from, to-40)
	for i := from; i <= to && i < len(d.lines); i++ {
		for _, c := range criteriaRe.FindAllString(d.lines[i].norm, -1) {
			c = normalizeID(c)
			if !contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// normalizeID removes inner spaces and trailing punctuation ("CC 6.1." to
// "CC6.1").
func normalizeID(id string) string {
	id = strings.TrimRight(strings.TrimSpace(id), ":.)")
	return strings.ReplaceAll(id, " ", "")
}
