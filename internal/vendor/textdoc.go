package vendor

import (
	"regexp"
	"strings"
	"unicode"
)

// docLine is one line of extracted text with what the parser learned
// about it.
type docLine struct {
	page    int    // 1-based
	raw     string // as extracted, right-trimmed
	norm    string // white space collapsed
	boiler  bool   // running header or footer, page number
	toc     bool   // table of contents entry
	heading bool
}

// para is a block of consecutive lines on one page, joined into one string
// so phrases that wrap across lines still match.
type para struct {
	page        int
	first, last int // line indexes, inclusive
	text        string
	lower       string
}

// textDoc is a document prepared for field extraction.
type textDoc struct {
	lines []docLine
	paras []para
	pages int
	lower string // all paragraph text, lowercased, for cheap phrase tests
}

var (
	pageNumberRe = regexp.MustCompile(`(?i)^(page\s+)?\d{1,4}(\s+of\s+\d{1,4})?$|^-\s*\d{1,4}\s*-$`)
	tocLeaderRe  = regexp.MustCompile(`(\.\s?){4,}\s*\d{1,4}$|\s{2,}\d{1,4}$`)
	headingRe    = regexp.MustCompile(`(?i)^((section|part|appendix|attachment|exhibit|schedule)\s+([ivxlc]+|\d+|[a-z])\b|([ivxlc]+|[a-z]|\d+(\.\d+)*)[.)]\s+\S)`)
	digitsRe     = regexp.MustCompile(`\d+`)
	tocTitleRe   = regexp.MustCompile(`(?im)^\s*(table\s+of\s+)?contents\s*$`)
)

func newTextDoc(pages []string) *textDoc {
	d := &textDoc{pages: len(pages)}
	for i, p := range pages {
		tocPage := tocTitleRe.MatchString(p)
		for _, raw := range strings.Split(p, "\n") {
			raw = strings.TrimRightFunc(raw, unicode.IsSpace)
			norm := strings.Join(strings.Fields(raw), " ")
			l := docLine{page: i + 1, raw: raw, norm: norm}
			if norm != "" {
				l.toc = isDigit(norm[len(norm)-1]) && (tocPage || strings.Contains(norm, "....")) && len(norm) < 140 && tocLeaderRe.MatchString(norm)
				l.heading = !l.toc && isHeading(norm)
			}
			d.lines = append(d.lines, l)
		}
	}
	d.markBoilerplate()
	d.demoteContinuations()
	d.buildParas()
	return d
}

// continuationRe matches line endings that promise more of the sentence.
var continuationRe = regexp.MustCompile(`(?i)([,;&/-]|\b(and|or|of|to|the|for|in|with|by|on|at|a|an|its|their))$`)

// demoteContinuations stops a Title Case line that continues the sentence
// of the line above ("Relevant to Security," / "Confidentiality, and
// Processing Integrity") from counting as a heading.
func (d *textDoc) demoteContinuations() {
	for i := 1; i < len(d.lines); i++ {
		prev, l := d.lines[i-1], &d.lines[i]
		if l.heading && prev.page == l.page && prev.norm != "" && !prev.boiler && !prev.heading && continuationRe.MatchString(prev.norm) && !headingRe.MatchString(l.norm) {
			l.heading = false
		}
	}
}

// markBoilerplate flags running headers, footers and page numbers: lines
// near the top or bottom of a page that recur, digits aside, on many pages.
func (d *textDoc) markBoilerplate() {
	if d.pages < 3 {
		for i := range d.lines {
			if pageNumberRe.MatchString(d.lines[i].norm) {
				d.lines[i].boiler = true
			}
		}
		return
	}
	edges := map[int][]int{} // page -> indexes of its first and last lines
	byPage := map[int][]int{}
	for i, l := range d.lines {
		if l.norm != "" {
			byPage[l.page] = append(byPage[l.page], i)
		}
	}
	for p, idx := range byPage {
		n := len(idx)
		for k := 0; k < n && k < 3; k++ {
			edges[p] = append(edges[p], idx[k])
		}
		for k := max(3, n-3); k < n; k++ {
			edges[p] = append(edges[p], idx[k])
		}
	}
	seen := map[string]map[int]bool{}
	key := func(s string) string { return strings.ToLower(digitsRe.ReplaceAllString(s, "#")) }
	for p, idx := range edges {
		for _, i := range idx {
			k := key(d.lines[i].norm)
			if seen[k] == nil {
				seen[k] = map[int]bool{}
			}
			seen[k][p] = true
		}
	}
	threshold := max(3, d.pages/2)
	for _, idx := range edges {
		for _, i := range idx {
			l := &d.lines[i]
			if pageNumberRe.MatchString(l.norm) || len(seen[key(l.norm)]) >= threshold && runningLine(l.norm) {
				l.boiler = true
				l.heading = false
			}
		}
	}
}

// runningLine reports whether a recurring line can be a running header or
// footer: short, and not a table row that happens to repeat, such as a test
// result.
func runningLine(s string) bool {
	if len(s) > 100 {
		return false
	}
	l := strings.ToLower(s)
	return !strings.Contains(l, "exception") && !strings.Contains(l, "deviation") && !strings.Contains(l, "tested")
}

func (d *textDoc) buildParas() {
	var b strings.Builder
	var cur *para
	flush := func() {
		if cur != nil {
			cur.text = b.String()
			cur.lower = strings.ToLower(cur.text)
			d.paras = append(d.paras, *cur)
			cur = nil
			b.Reset()
		}
	}
	for i, l := range d.lines {
		if l.norm == "" || l.boiler || l.toc {
			flush()
			continue
		}
		if cur != nil && (cur.page != l.page || l.heading || d.lines[cur.last].heading) {
			flush()
		}
		if cur == nil {
			cur = &para{page: l.page, first: i}
		} else {
			prev := b.String()
			if strings.HasSuffix(prev, "-") && len(prev) > 1 && unicode.IsLetter(rune(prev[len(prev)-2])) && startsLower(l.norm) {
				// A word broken at a hyphen: keep the hyphen, drop the gap.
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(l.norm)
		cur.last = i
	}
	flush()
	var all strings.Builder
	for _, p := range d.paras {
		all.WriteString(p.lower)
		all.WriteByte('\n')
	}
	d.lower = all.String()
}

func startsLower(s string) bool {
	for _, r := range s {
		return unicode.IsLower(r)
	}
	return false
}

// isHeading guesses whether a line is a section heading: numbered section
// titles, all-capitals lines and short Title Case lines without a full stop.
func isHeading(s string) bool {
	if len(s) < 3 || len(s) > 100 {
		return false
	}
	if headingRe.MatchString(s) {
		rest := s
		if i := strings.IndexAny(s, ".):—–-"); i >= 0 && i < 20 {
			rest = strings.TrimSpace(s[i+1:])
		}
		return !strings.HasSuffix(rest, ".") || len(rest) < 40
	}
	if strings.HasSuffix(s, ".") || continuationRe.MatchString(s) {
		return false
	}
	words := strings.Fields(s)
	if len(words) > 12 {
		return false
	}
	upper, caps, long, letters := true, 0, 0, 0
	for _, w := range words {
		for _, r := range w {
			if unicode.IsLetter(r) {
				letters++
				if unicode.IsLower(r) {
					upper = false
				}
			}
		}
		if len(w) > 3 {
			long++
			if r := []rune(w)[0]; unicode.IsUpper(r) {
				caps++
			}
		}
	}
	if letters < 3 {
		return false
	}
	if upper && len(words) >= 2 {
		return true
	}
	return long > 0 && caps*10 >= long*8
}

// heading returns the index of the first heading at or after line from
// whose text matches re, or -1.
func (d *textDoc) heading(re *regexp.Regexp, from int) int {
	for i := max(from, 0); i < len(d.lines); i++ {
		if d.lines[i].heading && re.MatchString(d.lines[i].norm) {
			return i
		}
	}
	return -1
}

// parasIn returns the paragraphs that start within lines [from, to).
func (d *textDoc) parasIn(from, to int) []para {
	var out []para
	for _, p := range d.paras {
		if p.first >= from && p.first < to {
			out = append(out, p)
		}
	}
	return out
}

// sectionEnd returns the line index where the section starting at start
// ends: the next heading matching stop that is not a table header, or
// limit lines later.
func (d *textDoc) sectionEnd(start int, stop *regexp.Regexp, limit int) int {
	end := min(len(d.lines), start+limit)
	for i := start + 1; i < end; i++ {
		if d.lines[i].heading && stop.MatchString(d.lines[i].norm) && !isTableRow(d.lines[i].raw) {
			return i
		}
	}
	return end
}

// isTableRow reports whether a layout line has two or more columns; such a
// line in Title Case is a table header, not a section heading.
func isTableRow(raw string) bool {
	return len(cells(raw)) >= 2
}

// quote returns a short excerpt of s around [start, end), cut at word
// boundaries, for citing evidence.
func quote(s string, start, end int) string {
	const width = 110
	lo, hi := max(0, start-width), min(len(s), end+width)
	if hi-lo > 3*width {
		hi = min(len(s), max(end, start+2*width))
	}
	for lo > 0 && lo < start && s[lo-1] != ' ' {
		lo++
	}
	for hi < len(s) && hi > end && s[hi-1] != ' ' {
		hi--
	}
	q := strings.TrimSpace(s[lo:hi])
	if lo > 0 {
		q = "…" + q
	}
	if hi < len(s) {
		q += "…"
	}
	return q
}
