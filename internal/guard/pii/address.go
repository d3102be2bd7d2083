package pii

import (
	"slices"
	"strings"
	"sync"
)

// Street addresses are found by shape rather than by a model: a house
// number next to a street name ("2437 Main St", "Via Roma 131",
// "Hammarvägen 15"), post boxes and military addresses, optionally
// followed by unit, city, region and postcode. An address written inside a
// sentence takes its following lines with it; one laid out as a letter
// head keeps only the street part, so that the city and country lines stay
// LOCATION.

const maxAddressLines = 4

// addressReach is how far from its house number the words of a street
// are looked for.
const addressReach = 64

var streetSuffixes = []string{
	"vägen", "gatan", "väg", "gata", "veien", "vegen", "vej", "gade", "stræde", "strasse", "straße", "straat",
	"laan", "weg", "gasse", "katu", "tie", "kuja", "utca", "allee", "plein", "gracht", "kade", "dreef",
	"braut", "stræti", "gata", "polku", "torget", "stig", "bakken", "svingen", "ring", "damm", "platz",
}

func isStreetWord(tk ntok) bool { return tk.street }

// isConnector reports whether a token is a lower-case particle such as
// "de" or "van".
func isConnector(tk ntok) bool { return tk.kind == tWord && !tk.upper && tk.flags&gConnector != 0 }

// streetLike is isStreetWord's test, run once per capitalised token of
// an address line: a name ending in a street suffix, "Hammarvägen".
func streetLike(t string, tk ntok) bool {
	w := strings.TrimSuffix(t[tk.s:tk.e], ".")
	for _, s := range streetSuffixes {
		if len(w) > len(s)+2 && strings.EqualFold(w[len(w)-len(s):], s) {
			return true
		}
	}
	return false
}

// leadingStreetTypes are the street types written before the street's
// name, in the languages whose addresses put them there.
var leadingStreetTypes = map[string]bool{
	"rue": true, "via": true, "viale": true, "piazza": true, "corso": true, "largo": true, "strada": true,
	"calle": true, "avenida": true, "avda": true, "av": true, "paseo": true, "camino": true, "carrer": true, "plaza": true,
	"rua": true, "travessa": true, "praça": true, "estrada": true, "chemin": true, "boulevard": true, "avenue": true,
	"impasse": true, "allée": true, "quai": true, "ul": true, "ulica": true, "aleja": true, "odos": true, "leoforos": true,
}

// addressWords maps the hashes of the words that address shapes test for
// to those words in lower case, so that tokens need no lower-case copy.
var addressWords = sync.OnceValue(func() map[uint64]string {
	m := map[uint64]string{}
	for _, w := range strings.Fields("p po box unit psc fpo apo dpo aa ae ap usns uss usnv ul av avda apt apartment suite floor fl room ste nan") {
		m[hashLower(w)] = w
	}
	for w := range leadingStreetTypes {
		m[hashLower(w)] = w
	}
	return m
})

func isUnitWord(tk ntok) bool {
	switch tk.lower {
	case "apt", "apartment", "suite", "unit", "floor", "fl", "room", "box", "psc", "ste":
		return tk.kind == tWord
	}
	return false
}

// addresses looks for street addresses on the lines that hold digits.
func (sc *scan) addresses() {
	t := sc.t
	g := gaz()
	done := 0 // end of the last window examined
	for _, reg := range sc.regions {
		// A region well inside the last window was seen whole already;
		// skipping it keeps the work linear however dense the digits.
		if reg.end+addressReach <= done || !capitalNear(t, reg.start, reg.end) {
			continue
		}
		// Look at the digits' line, but never more than addressReach
		// bytes either side: every street shape puts its number that
		// close to its words, and a long line then costs no more than a
		// short one.
		ls := max(reg.start-addressReach, 0)
		if i := strings.LastIndexByte(t[ls:reg.start], '\n'); i >= 0 {
			ls += i + 1
		}
		le := min(len(t), reg.end+addressReach)
		if i := strings.IndexByte(t[reg.end:le], '\n'); i >= 0 {
			le = reg.end + i
		}
		sc.addressLine(ls, le, g)
		done = le
	}
}

// capitalNear reports whether the word before or after the digits at
// [s, e) starts with a capital or non-ASCII letter, or the digits' own
// words hold letters: every address shape puts a name next to a number,
// and most numbers in prose ("5 tips", "in 2019 we") have none.
func capitalNear(t string, s, e int) bool {
	capital := func(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 0x80 }
	for i := s; i < e; i++ {
		if capital(t[i]) {
			return true
		}
	}
	i := s
	for i > 0 && (t[i-1] == ' ' || t[i-1] == '\t') {
		i--
	}
	j := i
	for j > 0 && t[j-1] != ' ' && t[j-1] != '\n' && t[j-1] != '\t' && i-j < 64 {
		j--
	}
	if j < i && capital(t[j]) {
		return true
	}
	for e < len(t) && (t[e] == ' ' || t[e] == '\t') {
		e++
	}
	return e < len(t) && capital(t[e])
}

// lineTokens appends the tokens of t[a:b] to toks, skipping a leading
// partial word.
func lineTokens(toks []ntok, t string, a, b int, g *gazetteer) []ntok {
	if a > 0 && t[a-1] != '\n' {
		for a < b && t[a] != ' ' {
			a++
		}
	}
	for i := a; i < b; {
		tk, next := readTok(t, i, b)
		if tk.s >= b || next <= i {
			break
		}
		tk.fill(t, g)
		if tk.kind == tWord {
			tk.lower = addressWords()[tk.h]
			tk.street = tk.flags&gStreet != 0 || tk.upper && streetLike(t, tk)
		}
		toks = append(toks, tk)
		i = next
	}
	return toks
}

func (sc *scan) addressLine(ls, le int, g *gazetteer) {
	t := sc.t
	sc.ops += le - ls
	toks := lineTokens(sc.lines[:0], t, ls, le, g)
	sc.lines = toks
	for i := 0; i < len(toks); {
		s, e, score := matchStreet(t, toks, i)
		if e <= s {
			i++
			continue
		}
		// Unit designators that follow on the line: "Apt. 209", "Suite 910".
		for e < len(toks) {
			j := e
			if toks[j].kind == tPunct && toks[j].e-toks[j].s == 1 && t[toks[j].s] == ',' {
				j++
			}
			if j+1 < len(toks) && isUnitWord(toks[j]) && toks[j+1].kind == tNum {
				e = j + 2
				continue
			}
			break
		}
		start, end := toks[s].s, toks[e-1].e
		if inlineAddress(t, start) {
			tail := sc.addressTail(end, g)
			if ps, pe, ok := lonePlace(t, end, tail); ok {
				// "12 Main St, Springfield": a lone town after the street
				// is a place of its own; a full postal tail with region,
				// country or postcode stays part of the address.
				sc.add(Location, ps, pe, 0.8)
			} else {
				end = tail
			}
		} else {
			end = tailOnLine(t, end, lineEnd(t, end, 128), g)
			sc.letterHead(end, g)
			if strings.Trim(t[ls:start], " \t\r>") == "" {
				sc.headAbove(start)
			}
		}
		if hasContext(t, start, end, addressContext) {
			score = boost(score, true)
		}
		sc.add(Address, start, end, score)
		i = e
	}
}

var addressContext = []string{"address", "lives", "live at", "located", "street", "meet", "deliver", "ship", "send", "mail", "office", "return to"}

// matchStreet tries the street shapes at token i and returns the token
// range [s, e) of a match.
func matchStreet(t string, toks []ntok, i int) (s, e int, score float64) {
	n := len(toks)
	word := func(k int) bool {
		return k < n && toks[k].kind == tWord && (toks[k].upper || toks[k].flags&gStreet != 0)
	}
	num := func(k int) bool { return k >= 0 && k < n && toks[k].kind == tNum && toks[k].e-toks[k].s <= 6 }
	lower := func(k int) string {
		if k < n {
			return toks[k].lower
		}
		return ""
	}
	// Post boxes and military addresses.
	switch {
	case (lower(i) == "p" || lower(i) == "po") && strings.HasPrefix(t[toks[i].s:min(len(t), toks[i].s+8)], "P.O. Box") || lower(i) == "po" && lower(i+1) == "box":
		for k := i; k < min(n, i+6); k++ {
			if num(k) {
				return i, k + 1, 0.7
			}
		}
	case (lower(i) == "unit" || lower(i) == "psc") && num(i+1):
		k := i + 2
		if k < n && toks[k].kind == tPunct {
			k++
		}
		if lower(k) == "box" && num(k+1) {
			return i, k + 2, 0.75
		}
	case (lower(i) == "fpo" || lower(i) == "apo" || lower(i) == "dpo") && (lower(i+1) == "aa" || lower(i+1) == "ae" || lower(i+1) == "ap") && num(i+2):
		return i, i + 3, 0.75
	case lower(i) == "usns" || lower(i) == "uss" || lower(i) == "usnv" || lower(i) == "usns":
		if word(i + 1) {
			return i, i + 2, 0.6
		}
	}
	start := i
	k := i
	lead := false
	for num(k) && k < i+2 {
		k++
		lead = true
	}
	// Street word first: "Rue de Piétrain 371", "ul. Narewska 94".
	if isStreetWord(toks[min(k, n-1)]) && k < n && toks[k].upper || (k < n && (toks[k].lower == "ul" || toks[k].lower == "av" || toks[k].lower == "avda")) {
		j := k + 1
		if j < n && toks[j].kind == tPunct && t[toks[j].s] == '.' {
			j++
		}
		w := 0
		for w < 4 && (word(j) || (j < n && isConnector(toks[j]))) {
			j++
			w++
		}
		if w > 0 && num(j) {
			return start, j + 1, 0.75
		}
		// A house number before a street type that leads its name:
		// "1812 Rue De La Gare", "39 Via Nuova".
		if w > 0 && lead && leadingStreetTypes[toks[k].lower] {
			for j > k+1 && j-1 < n && isConnector(toks[j-1]) {
				j-- // "... de" without a name after it
			}
			return start, j, 0.7
		}
	}
	// Names then a street word: "74 Diakou Street", "Main St".
	j := k
	w := 0
	for w < 5 && word(j) && !isStreetWord(toks[j]) {
		j++
		w++
	}
	if w > 0 && j < n && isStreetWord(toks[j]) && toks[j].upper {
		end := j + 1
		if num(end) {
			end++
		}
		if lead || end > j+1 {
			return start, end, 0.75
		}
		if w >= 1 && num(start-1) {
			return start - 1, end, 0.75
		}
	}
	// A street name with its suffix then a number: "Hammarvägen 15".
	if k < n && word(k) && isStreetWord(toks[k]) && toks[k].flags&gStreet == 0 && num(k+1) {
		return start, k + 2, 0.75
	}
	// A number, a name and a number: "4241 Steinfelden 73".
	if lead {
		j := k
		w := 0
		for w < 3 && word(j) && toks[j].flags&(gCommon) == 0 {
			j++
			w++
		}
		if w > 0 && num(j) {
			return start, j + 1, 0.6
		}
	}
	return 0, 0, 0
}

// inlineAddress reports whether the address at start continues a sentence
// ("send it to 12 Main St") rather than opening a line of a letter head:
// the text before it on its line holds a lower-case word or a colon.
func inlineAddress(t string, start int) bool {
	ls := strings.LastIndexByte(t[max(0, start-128):start], '\n')
	if ls < 0 {
		ls = max(0, start-128)
	} else {
		ls += max(0, start-128) + 1
	}
	line := t[ls:start]
	if strings.TrimSpace(line) == "" {
		// The line before decides: "Address:" introduces an inline value.
		prev := strings.TrimRight(t[max(0, ls-64):ls], " \t\r\n>")
		return strings.HasSuffix(prev, ":")
	}
	if strings.Contains(line, ":") {
		return true
	}
	for _, w := range strings.Fields(line) {
		if c := w[0]; c >= 'a' && c <= 'z' && !connectors[w] {
			return true
		}
	}
	return false
}

// lonePlace reports whether t[a:b], the tail after a street, is one
// comma and a single place name, and returns the name's span.
func lonePlace(t string, a, b int) (int, int, bool) {
	tail := t[a:b]
	i := strings.IndexByte(tail, ',')
	if i < 0 || strings.TrimSpace(tail[:i]) != "" {
		return 0, 0, false
	}
	name := tail[i+1:]
	if strings.ContainsAny(name, ",\n0123456789()") {
		return 0, 0, false
	}
	s := a + i + 1
	for s < b && t[s] == ' ' {
		s++
	}
	if s >= b {
		return 0, 0, false
	}
	return s, b, true
}

// addressTail extends an inline address over the rest of its line and up
// to maxAddressLines following lines that look like unit, city, region or
// postcode lines.
func (sc *scan) addressTail(end int, g *gazetteer) int {
	t := sc.t
	le := lineEnd(t, end, 128)
	end = tailOnLine(t, end, le, g)
	for range maxAddressLines {
		if end >= len(t) || le >= len(t) || t[le] != '\n' || end < le && strings.TrimSpace(t[end:le]) != "" {
			break
		}
		ns := le + 1
		ne := lineEnd(t, ns, 65)
		if ne-ns > 64 {
			break
		}
		e := tailOnLine(t, ns, ne, g)
		if e <= ns || strings.TrimSpace(t[ns:e]) == "" {
			break
		}
		end, le = e, ne
	}
	return end
}

// tailOnLine absorbs, from a, the address parts of t[a:b]: commas, units,
// capitalised place names, region codes and postcodes. It stops at the
// first word that does not belong to an address.
func tailOnLine(t string, a, b int, g *gazetteer) int {
	end := a
	for i := a; i < b; {
		tk, next := readTok(t, i, b)
		if tk.s >= b || next <= i {
			break
		}
		switch {
		case tk.kind == tNum && tk.e-tk.s <= 6:
		case tk.kind == tWord && (tk.upper || t[tk.s:tk.e] == "nan"):
		case tk.kind == tWord && !tk.upper && g.lookup(t[tk.s:tk.e])&gConnector != 0:
			i = next
			continue // kept only if a later part follows
		case tk.kind == tPunct && (t[tk.s] == ',' || t[tk.s] == '(' || t[tk.s] == ')' || t[tk.s] == '-'):
			i = next
			continue
		default:
			return end
		}
		end = tk.e
		i = next
	}
	return end
}

// letterHead labels the lines under the street line of a letter-head
// address: unit lines join the address, place lines ("SEINÄJOKI",
// "Finland 38524") and region codes become LOCATION.
func (sc *scan) letterHead(end int, g *gazetteer) {
	t := sc.t
	ls := lineEnd(t, end, 128)
	if ls >= len(t) || t[ls] != '\n' {
		return
	}
	ls++
	blank := 0
	for range maxAddressLines + 1 {
		le := lineEnd(t, ls, 65)
		sc.ops += le - ls
		if le-ls > 64 {
			return
		}
		line := strings.Trim(t[ls:le], " \t\r>")
		if line == "" {
			if blank++; blank > 1 {
				return
			}
		} else {
			toks := lineTokens(nil, t, ls, le, g)
			for len(toks) > 0 && toks[0].kind == tPunct {
				toks = toks[1:]
			}
			if !sc.headLine(toks) {
				return
			}
		}
		if le >= len(t) {
			return
		}
		ls = le + 1
	}
}

// headAbove drops the places that the name model found alone on the two
// lines above a letter-head street line: a letter head names the person,
// their title and their company there, and the town comes below the
// street ("Enigmaio", "Placeilivecom").
func (sc *scan) headAbove(start int) {
	t := sc.t
	le := strings.LastIndexByte(t[max(0, start-128):start], '\n')
	if le < 0 {
		return
	}
	le += max(0, start-128)
	for range 2 {
		ls := strings.LastIndexByte(t[max(0, le-65):le], '\n') + 1
		if ls == 0 && le > 65 {
			return
		}
		ls += max(0, le-65)
		line := strings.Trim(t[ls:le], " \t\r>")
		if line == "" {
			return
		}
		a := ls + strings.Index(t[ls:le], line)
		sc.found = slices.DeleteFunc(sc.found, func(f Finding) bool {
			return f.Type == Location && f.Start == a && f.End == a+len(line)
		})
		if ls == 0 {
			return
		}
		le = ls - 1
	}
}

// headLine classifies one line under a letter-head street line and reports
// whether it belonged to the address.
func (sc *scan) headLine(toks []ntok) bool {
	if len(toks) == 0 {
		return false
	}
	if len(toks) >= 2 && isUnitWord(toks[0]) && toks[1].kind == tNum {
		sc.add(Address, toks[0].s, toks[1].e, 0.75)
		return true
	}
	words := 0
	for words < len(toks) && words < 4 && toks[words].kind == tWord && (toks[words].upper || isConnector(toks[words]) && words > 0) {
		words++
	}
	if words == 0 {
		return toks[0].kind == tNum && len(toks) <= 3
	}
	if words == 1 && toks[0].e-toks[0].s < 2 {
		return false // a postcode such as "B0J 2H0"
	}
	rest := toks[words:]
	for _, tk := range rest {
		if tk.kind == tWord && !tk.upper || tk.kind == tPunct && (sc.t[tk.s] == ':' || sc.t[tk.s] == '@') {
			return false // "Mobile: 0688 843 79 56" ends the address
		}
	}
	ps, pe := toks[0].s, toks[words-1].e
	// The layout says this line is a town or a country, which outweighs
	// the name model's guess that a word of it is a person ("Broomfield").
	sc.found = slices.DeleteFunc(sc.found, func(f Finding) bool { return f.Type == Person && ps <= f.Start && f.End <= pe })
	sc.add(Location, ps, pe, 0.9)
	return true
}

// lineEnd returns the end of the line holding i, looking at most limit
// bytes ahead.
func lineEnd(t string, i, limit int) int {
	hi := min(len(t), i+limit)
	if e := strings.IndexByte(t[i:hi], '\n'); e >= 0 {
		return i + e
	}
	return hi
}
