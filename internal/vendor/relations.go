package vendor

import (
	"regexp"
	"strings"
)

var (
	subserviceHeadRe = regexp.MustCompile(`(?i)sub-?service\s+organi[sz]ations?|sub-?processors|third[- ]party\s+service\s+providers`)
	carveOutRe       = regexp.MustCompile(`(?i)carve[- ]?out\s+method|carved[- ]out|carve[- ]out|(are|is)\s+excluded\s+from\s+(the\s+)?(scope|description)|not\s+included\s+in\s+the\s+scope`)
	inclusiveRe      = regexp.MustCompile(`(?i)inclusive\s+method|using\s+the\s+inclusive|presented\s+(on\s+an?\s+)?inclusive`)
	usesRe           = regexp.MustCompile(`(?i)\b(uses|use|utilizes|utilises|utilize|relies\s+(up)?on|rely\s+(up)?on|leverages|engages|engaged|outsources|is\s+hosted\s+(by|on|at|with)|hosted\s+(by|on|at|with)|provided\s+by|subservice\s+organi[sz]ations?\s+(is|are|include|includes))\b`)
	orgPhraseRe      = regexp.MustCompile(`\b([A-Z][A-Za-z0-9&.'’-]*(?:\s+(?:[A-Z][A-Za-z0-9&.'’-]*|&|of|and\s+[A-Z][A-Za-z0-9&.'’-]*))*(?:\s+\([A-Z][A-Za-z0-9 ]{1,12}\))?)`)
	cuecHeadRe       = regexp.MustCompile(`(?i)complementary\s+user[- ]entity\s+controls?|user\s+entity\s+(responsibilities|controls)|customer\s+(responsibilities|controls)|\bCUECs?\b`)
	itemStartRe      = regexp.MustCompile(`^(\d{1,3}[.)]|\(\d{1,3}\)|\(?[a-z][.)]|[•·▪◦○●■□‣∙*–—-])\s+`)
	responsibleRe    = regexp.MustCompile(`(?i)^(user\s+entities|customers|clients)\s+(are\s+responsible|should|must|need\s+to|have\s+the\s+responsibility)`)
	anyHeadingRe     = regexp.MustCompile(`.`)
	tableHeaderRe    = regexp.MustCompile(`(?i)\b(organi[sz]ations?|vendors?|providers?|services?|names?|entity|entities|controls?|criteria|description)\b`)
	carveOutMethodRe = regexp.MustCompile(`(?i)carve[- ]?out\s+method`)
	stopHeadingRe    = regexp.MustCompile(`(?i)^((section|part)\s+\S+|[a-hj-z][.)]\s+[A-Z]|[ivx]+[.)]\s+[A-Z])`)
)

// knownProviders are cloud and model providers that commonly appear as
// subservice organizations; table layouts list them without a verb.
var knownProviders = regexp.MustCompile(`\b(?:Amazon\s+Web\s+Services|AWS|Microsoft\s+Azure|Azure\s+OpenAI(?:\s+Service)?|Azure|Google\s+Cloud(?:\s+Platform)?|GCP|Cloudflare|Equinix|CoreSite|Digital\s+Realty|Rackspace|Oracle\s+Cloud(?:\s+Infrastructure)?|IBM\s+Cloud|DigitalOcean|Heroku|Snowflake|MongoDB(?:\s+Atlas)?|Datadog|Okta|Salesforce|Twilio|Stripe|GitHub|OpenAI|Anthropic|Amazon\s+Bedrock|Vertex\s+AI|Cohere)\b(?:\s+\([A-Z]{2,6}\))?`)

// notOrg are capitalized words that start phrases but name no company.
var notOrg = wordSet("the a an this these those its their our we it he she they in for and or of to on at by with as company organization organisation service services system systems data customer customers user users management section page table control controls subservice organizations inc llc ltd amazon microsoft google")

// subservice lists the subservice organizations named in the subservice
// section and how the report treats them (carve-out or inclusive).
func subservice(d *textDoc, org *Field) ([]Subservice, *Field) {
	var ps []para
	var rows []docLine
	for i := 0; i < len(d.lines); i++ {
		if d.lines[i].heading && !d.lines[i].toc && subserviceHeadRe.MatchString(d.lines[i].norm) {
			end := d.sectionEnd(i, anyHeadingRe, 80)
			ps = append(ps, d.parasIn(i+1, end)...)
			for _, l := range d.lines[i+1 : end] {
				if !l.boiler && isTableRow(l.raw) {
					rows = append(rows, l)
				}
			}
			i = end - 1
		}
	}
	for _, p := range d.paras {
		if containsAny(p.lower, []string{"subservice", "sub-service", "processor", "third"}) && subserviceHeadRe.MatchString(p.text) && !d.lines[p.first].heading {
			ps = append(ps, p)
		}
	}
	self := ""
	if org != nil {
		self = strings.ToLower(strings.Trim(strings.Fields(org.Value + " x")[0], ".,"))
	}
	var method *Field
	for _, p := range ps {
		if m := carveOutRe.FindStringIndex(p.text); m != nil && method == nil {
			method = &Field{Value: MethodCarveOut, Page: p.page, Quote: quote(p.text, m[0], m[1])}
		}
		if m := inclusiveRe.FindStringIndex(p.text); m != nil && method == nil {
			method = &Field{Value: MethodInclusive, Page: p.page, Quote: quote(p.text, m[0], m[1])}
		}
	}
	if method == nil {
		if f := d.find(inclusiveRe, nil, "inclusive"); f != nil {
			method = &Field{Value: MethodInclusive, Page: f.Page, Quote: f.Quote}
		} else if f := d.find(carveOutMethodRe, nil, "carve"); f != nil {
			method = &Field{Value: MethodCarveOut, Page: f.Page, Quote: f.Quote}
		}
	}
	var out []Subservice
	seen := map[string]bool{}
	add := func(name string, p para, start, end int) {
		name = strings.TrimRight(strings.TrimSpace(name), ".,;:")
		key := strings.ToLower(name)
		if name == "" || seen[key] || self != "" && strings.HasPrefix(key, self) {
			return
		}
		for k := range seen {
			if strings.Contains(k, key) || strings.Contains(key, k) {
				return
			}
		}
		seen[key] = true
		s := Subservice{Name: name, Page: p.page, Quote: quote(p.text, start, end)}
		if method != nil {
			s.Method = method.Value
		}
		out = append(out, s)
	}
	// Table rows name the organization in their first column.
	for _, l := range rows {
		first := cells(l.raw)[0].text
		if looksLikeOrg(first) && orgPhraseRe.FindString(first) == first && !subserviceHeadRe.MatchString(first) && !tableHeaderRe.MatchString(first) {
			add(first, para{page: l.page, text: l.norm}, 0, len(first))
		}
	}
	for _, p := range ps {
		for _, m := range knownProviders.FindAllStringIndex(p.text, -1) {
			add(p.text[m[0]:m[1]], p, m[0], m[1])
		}
		for _, sent := range sentences(p.text) {
			u := usesRe.FindStringIndex(sent.text)
			if u == nil {
				continue
			}
			rest := sent.text[u[1]:]
			for _, m := range orgPhraseRe.FindAllStringIndex(rest, -1) {
				name := rest[m[0]:m[1]]
				if !looksLikeOrg(name) {
					continue
				}
				at := sent.start + u[1] + m[0]
				add(name, p, at, at+len(name))
			}
		}
	}
	return out, method
}

// looksLikeOrg rejects capitalized phrases that are ordinary words.
func looksLikeOrg(s string) bool {
	words := strings.Fields(s)
	if len(words) == 0 || len(words) > 7 {
		return false
	}
	first := strings.ToLower(strings.Trim(words[0], ".,"))
	if notOrg[first] && !knownProviders.MatchString(s) {
		return false
	}
	return len(strings.Trim(s, ".,")) >= 3
}

// cuecs lists the complementary user entity controls: the items under
// the CUEC heading (numbered, bulleted or "User entities are responsible
// for ..." sentences), continuing across page breaks and running headers
// until the next section heading.
func cuecs(d *textDoc) []Field {
	start := -1
	for i, l := range d.lines {
		if l.heading && !l.toc && cuecHeadRe.MatchString(l.norm) && len(l.norm) < 90 {
			start = i
		}
		if start >= 0 {
			break
		}
	}
	if start < 0 {
		return nil
	}
	var out []Field
	var cur *Field
	flush := func() {
		if cur != nil {
			cur.Value = strings.TrimSpace(cur.Value)
			cur.Quote = cur.Value
			out = append(out, *cur)
			cur = nil
		}
	}
	for i := start + 1; i < len(d.lines) && i < start+400; i++ {
		l := d.lines[i]
		if l.boiler || l.toc {
			continue
		}
		if l.norm == "" {
			flush()
			continue
		}
		item := itemStartRe.FindString(l.norm)
		cs := cells(l.raw)
		switch {
		case item != "":
			flush()
			cur = &Field{Value: strings.TrimPrefix(l.norm, item), Page: l.page}
		case len(cs) >= 2 && criteriaRe.MatchString(cs[len(cs)-1].text) && !criteriaRe.MatchString(cs[0].text):
			// A table row: the control, then the criteria it supports.
			flush()
			var parts []string
			for _, c := range cs[:len(cs)-1] {
				parts = append(parts, c.text)
			}
			cur = &Field{Value: strings.Join(parts, " "), Page: l.page}
		case len(cs) >= 2 && tableHeaderRe.MatchString(l.norm) && cur == nil:
			// The table's header row.
		case responsibleRe.MatchString(l.norm) && !strings.HasSuffix(l.norm, ":"):
			flush()
			cur = &Field{Value: l.norm, Page: l.page}
		case l.heading && !isTableRow(l.raw) && (stopHeadingRe.MatchString(l.norm) || !cuecHeadRe.MatchString(l.norm) && len(out) > 0 && cur == nil):
			flush()
			return out
		case cur != nil:
			// Wrapped text of the current item, without the criteria column.
			if len(cs) > 1 && criteriaRe.MatchString(cs[len(cs)-1].text) {
				cs = cs[:len(cs)-1]
			}
			for _, c := range cs {
				if !criteriaRe.MatchString(c.text) {
					cur.Value += " " + c.text
				}
			}
		}
	}
	flush()
	return out
}
