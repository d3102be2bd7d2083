package pii

import (
	"net/netip"
	"regexp"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Patterns run only over short runs of words that contain digits.
var (
	reCard     = regexp.MustCompile(`\d(?:[ \-]?\d){11,18}`)
	reSSN      = regexp.MustCompile(`\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{9}`)
	rePhone    = regexp.MustCompile(`(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,5}\)[ .\-]?)?\d{1,15}(?:[ .\-]\(?\d{1,8}\)?){0,6}(?:(?: ?x| ?ext\.? ?)\d{1,6})?`)
	reIPv4     = regexp.MustCompile(`\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}`)
	reIBANHead = regexp.MustCompile(`[A-Za-z]{2}\d{2}`)
	reDOB      = regexp.MustCompile(`(?i)(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}|\d{1,2}(?:st|nd|rd|th)? (?:of )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.?,? \d{4}|\d{4}[\-/.]\d{1,2}[\-/.]\d{1,2}|\d{1,2}[\-/.]\d{1,2}[\-/.](?:\d{4}|\d{2}))`)
	rePassport = regexp.MustCompile(`[A-Za-z]?\d{8,9}`)
	reLicense  = regexp.MustCompile(`[A-Za-z]{1,2}\d{4,14}|\d{5,14}|\d{2,4}-\d{2,4}-\d{2,5}|[A-Za-z]\d{3}-\d{3,4}-\d{2,4}(?:-\d{3}-\d)?`)
	reNANP     = regexp.MustCompile(`^(?:\+?1[ .\-]?)?(?:\(\d{3}\) ?|\d{3}[ .\-])\d{3}[ .\-]\d{4}(?:(?: ?x| ?ext\.? ?)\d{1,6})?$`)
	reDateLike = regexp.MustCompile(`^\d{4}[\-/.]\d{2}[\-/.]\d{2}|^\d{1,2}[\-/.]\d{1,2}[\-/.]\d{4}|^\d{1,2}:\d{2}`)
)

// bounded reports whether t[start:end] is not glued to further letters or
// digits, which stands in for \b around patterns that begin or end with
// punctuation.
func bounded(t string, start, end int) bool {
	if start > 0 && isAlnum(t[start-1]) {
		return false
	}
	if end < len(t) && isAlnum(t[end]) {
		return false
	}
	return true
}

// numeric runs the number recognisers over t[start:end], a run of words
// holding digits.
func (sc *scan) numeric(start, end int) {
	t := sc.t
	region := t[start:end]
	en := sc.s.enabled
	sc.ops += 10 * (end - start)
	// Most runs of digits in prose are years, prices and counts, too
	// short for any pattern below; counting first spares the regular
	// expressions.
	digits, dots, letters := 0, 0, 0
	for i := 0; i < len(region); i++ {
		switch c := region[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
			letters++
		}
	}
	if digits >= 12 && en[CreditCard] {
		for _, m := range reCard.FindAllStringIndex(region, -1) {
			sc.card(start+m[0], start+m[1])
		}
	}
	if digits >= 9 && (en[SSN] || en[ITIN]) {
		for _, m := range reSSN.FindAllStringIndex(region, -1) {
			sc.ssn(start+m[0], start+m[1])
		}
	}
	if digits >= 7 && en[Phone] {
		for _, m := range rePhone.FindAllStringIndex(region, -1) {
			sc.phone(start+m[0], start+m[1])
		}
	}
	if digits >= 4 && dots >= 3 && en[IPAddress] {
		for _, m := range reIPv4.FindAllStringIndex(region, -1) {
			s, e := start+m[0], start+m[1]
			if !bounded(t, s, e) || (e < len(t)-1 && t[e] == '.' && isDigit(t[e+1])) || (s > 1 && t[s-1] == '.' && isDigit(t[s-2])) {
				continue
			}
			if a, err := netip.ParseAddr(t[s:e]); err == nil && a.Is4() {
				sc.add(IPAddress, s, e, boost(0.6, hasContext(t, s, e, contextWords[IPAddress])))
			}
		}
	}
	if digits >= 2 && letters >= 2 && digits+letters >= 11 && en[IBAN] {
		for _, m := range reIBANHead.FindAllStringIndex(region, -1) {
			sc.iban(start + m[0])
		}
	}
	if en[DateOfBirth] {
		// Month names may precede the digits, so look a little further
		// back, and only where a birth context word is near.
		ws := max(0, start-12)
		if hasContext(t, start, end, contextWords[DateOfBirth]) {
			for _, m := range reDOB.FindAllStringIndex(t[ws:end], -1) {
				s, e := ws+m[0], ws+m[1]
				if bounded(t, s, e) {
					sc.add(DateOfBirth, s, e, 0.85)
				}
			}
		}
	}
	if digits >= 8 && en[Passport] && hasContext(t, start, end, contextWords[Passport]) {
		for _, m := range rePassport.FindAllStringIndex(region, -1) {
			if s, e := start+m[0], start+m[1]; bounded(t, s, e) {
				sc.add(Passport, s, e, 0.85)
			}
		}
	}
	if digits >= 4 && en[DriverLicense] && hasContext(t, start, end, contextWords[DriverLicense]) {
		for _, m := range reLicense.FindAllStringIndex(region, -1) {
			if s, e := start+m[0], start+m[1]; bounded(t, s, e) {
				sc.add(DriverLicense, s, e, 0.85)
			}
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (sc *scan) card(s, e int) {
	t := sc.t
	if !bounded(t, s, e) {
		return
	}
	d := digitsOf(t[s:e])
	if len(d) < 12 || len(d) > 19 || repeated(d) || !luhn(d) {
		return
	}
	// Mixed separators ("4111-1111 1111") are rarer in real card numbers
	// than in tables of figures.
	v := t[s:e]
	score := 0.9
	if strings.ContainsRune(v, ' ') && strings.ContainsRune(v, '-') {
		score = 0.5
	}
	sc.add(CreditCard, s, e, boost(score, hasContext(t, s, e, contextWords[CreditCard])))
}

func (sc *scan) ssn(s, e int) {
	t := sc.t
	if !bounded(t, s, e) || (s > 0 && (t[s-1] == '-' || t[s-1] == '.')) || (e < len(t) && (t[e] == '-' || t[e] == '.') && e+1 < len(t) && isDigit(t[e+1])) {
		return
	}
	d := digitsOf(t[s:e])
	score := 0.85
	switch {
	case strings.IndexByte(t[s:e], ' ') >= 0:
		score = 0.5
	case len(t[s:e]) == 9:
		score = 0.3
	}
	if validITIN(d) {
		sc.add(ITIN, s, e, boost(score, hasContext(t, s, e, contextWords[ITIN])))
		return
	}
	if validSSN(d) {
		sc.add(SSN, s, e, boost(score, hasContext(t, s, e, contextWords[SSN])))
	}
}

func (sc *scan) phone(s, e int) {
	t := sc.t
	// Trim a closing parenthesis the pattern swallowed without its pair.
	if e > s && t[e-1] == ')' && strings.Count(t[s:e], "(") < strings.Count(t[s:e], ")") {
		e--
	}
	if !bounded(t, s, e) || (s > 0 && strings.IndexByte("-./+", t[s-1]) >= 0) {
		return
	}
	v := t[s:e]
	main := v
	if i := strings.IndexAny(v, "xe"); i > 0 {
		main = v[:i]
	}
	d := digitsOf(main)
	if len(d) < 7 || len(d) > 15 || reDateLike.MatchString(v) || repeated(d) {
		return
	}
	if !strings.ContainsAny(main, " .-()+") && len(d) != 10 && len(d) != 11 {
		return // a bare run of digits is a phone number only in the NANP shape
	}
	score := 0.3
	switch {
	case v[0] == '+' || strings.HasPrefix(d, "00"):
		var n phonenumbers.PhoneNumber
		num := main
		if v[0] != '+' {
			num = "+" + strings.TrimLeft(d, "0")
			if strings.HasPrefix(d, "011") {
				num = "+" + d[3:]
			}
		}
		if phonenumbers.ParseToNumber(num, "ZZ", &n) == nil {
			if phonenumbers.IsValidNumber(&n) {
				score = 0.75
			} else if phonenumbers.IsPossibleNumber(&n) {
				score = 0.6
			}
		}
	case reNANP.MatchString(v):
		score = 0.55
		var n phonenumbers.PhoneNumber
		if phonenumbers.ParseToNumber(main, "US", &n) == nil && phonenumbers.IsValidNumber(&n) {
			score = 0.7
		}
	}
	if score < 0.5 && followedByName(t, e) {
		return // "at 17031 2202 Rissik St" is a street address
	}
	sc.add(Phone, s, e, boost(score, hasContext(t, s, e, contextWords[Phone])))
}

// followedByName reports whether a capitalised word follows position e on
// the same line.
func followedByName(t string, e int) bool {
	return e+2 < len(t) && t[e] == ' ' && t[e+1] >= 'A' && t[e+1] <= 'Z' && t[e+2] >= 'a' && t[e+2] <= 'z'
}

// iban checks for an IBAN starting at s: the country code fixes how many
// letters and digits follow, written together or in groups of four.
func (sc *scan) iban(s int) {
	t := sc.t
	if s > 0 && isAlnum(t[s-1]) {
		return
	}
	cc := strings.ToUpper(t[s : s+2])
	want, ok := ibanLengths[cc]
	if !ok {
		return
	}
	n, i := 0, s
	for i < len(t) && n < want {
		c := t[i]
		switch {
		case isAlnum(c):
			n++
			i++
		case c == ' ' && n%4 == 0 && i+1 < len(t) && isAlnum(t[i+1]):
			i++
		default:
			return
		}
	}
	if n != want || (i < len(t) && isAlnum(t[i])) {
		return
	}
	if validIBAN(t[s:i]) {
		sc.add(IBAN, s, i, boost(0.9, hasContext(t, s, i, contextWords[IBAN])))
	}
}
