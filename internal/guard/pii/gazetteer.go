package pii

import (
	"bytes"
	"embed"
	"strings"
	"sync"

	"github.com/brianvoe/gofakeit/v7/data"
	zxcvbn "github.com/nbutton23/zxcvbn-go/data"
	"github.com/sethvargo/go-diceware/diceware"
)

// Gazetteer flags of a lower-case token.
const (
	gFirst      uint16 = 1 << iota // given name
	gLast                          // family name
	gPlace                         // country, region or city (single word)
	gState                         // US state
	gCommon                        // capitalised word that is rarely a name
	gWord                          // ordinary English word
	gStreet                        // street type such as road or strasse
	gOrg                           // organisation word such as bank or inc
	gTitle                         // honorific such as mr or dr
	gConnector                     // particle inside names: de, van, of
	gEnglish                       // in an English frequency list
	gEnglishTop                    // among the 5,000 commonest English words
)

// gazetteerFlags is the number of flags above.
const gazetteerFlags = 12

//go:embed gazetteer/*.txt
var gazetteerFS embed.FS

type gazetteer struct {
	words   *wordTable // flags of single lower-case words
	phrases *wordTable // multi-word places: hashLower of the words joined by single spaces
}

// lookup returns the flags of a word in any case.
func (g *gazetteer) lookup(w string) uint16 { return g.words.get(hashLower(w)) }

// phraseHash returns the key of a multi-word name in the phrase table.
func phraseHash(name string) uint64 {
	h := uint64(fnvOffset64)
	for i, w := range strings.Fields(name) {
		if i > 0 {
			h = hashByte(h, ' ')
		}
		h = hashLowerFrom(h, w)
	}
	return h
}

// gaz returns the gazetteer, built on first use from our own lists and the
// name, place and word lists of the MIT-licensed gofakeit module.
var gaz = sync.OnceValue(func() *gazetteer {
	flags := make(map[string]uint16, 16384)
	phrases := make(map[string]bool)
	add := func(word string, f uint16) {
		w := strings.ToLower(word)
		if w != "" {
			flags[w] |= f
		}
	}
	addPlace := func(name string) {
		name = strings.TrimSpace(name)
		if name == "" || strings.ContainsAny(name, ",()") {
			return
		}
		if strings.Contains(name, " ") {
			phrases[name] = true
			return
		}
		add(name, gPlace)
	}
	for _, f := range []struct {
		file string
		flag uint16
	}{{"first.txt", gFirst}, {"last.txt", gLast}, {"common.txt", gCommon}} {
		for _, w := range lines(f.file) {
			for _, tok := range strings.Fields(w) {
				// Particles such as "de" in "de Jong" are connectors, not names.
				if f.flag != gCommon && strings.ToLower(tok) == tok {
					continue
				}
				add(tok, f.flag)
			}
		}
	}
	for _, p := range append(lines("places.txt"), lines("cities.txt")...) {
		addPlace(p)
	}
	for _, w := range data.Person["first"] {
		add(w, gFirst)
	}
	for _, w := range data.Person["middle"] {
		add(w, gFirst)
	}
	for _, w := range data.Person["last"] {
		add(w, gLast)
	}
	for _, w := range data.Address["country"] {
		addPlace(w)
	}
	for _, w := range data.Address["city"] {
		addPlace(w)
	}
	for _, w := range data.Address["state"] {
		if strings.Contains(w, " ") {
			phrases[w] = true
		} else {
			add(w, gState)
		}
	}
	for _, m := range []map[string][]string{data.Word, data.Hipster, data.Hacker, data.Job, data.Animal, data.Food} {
		for _, list := range m {
			for _, w := range list {
				if !strings.Contains(w, " ") && strings.ToLower(w) == w {
					add(w, gWord)
				}
			}
		}
	}
	// EFF's large diceware list: 7,776 common English words.
	eff := diceware.WordListEffLarge()
	for roll := range 6 * 6 * 6 * 6 * 6 {
		k, r := 0, roll
		for range 5 {
			k = k*10 + r%6 + 1
			r /= 6
		}
		if w := eff.WordAt(k); w != "" {
			add(w, gWord)
		}
	}
	for _, w := range data.Address["street_name"] {
		add(w, gStreet)
	}
	for _, w := range strings.Fields(streetWords) {
		add(w, gStreet)
	}
	for _, w := range strings.Fields(orgWords) {
		add(w, gOrg)
	}
	for _, w := range strings.Fields("mr mrs ms miss dr prof sir madam dame lord lady rev fr mx") {
		add(w, gTitle)
	}
	for w := range connectors {
		add(w, gConnector)
	}
	// The frequency lists of the MIT-licensed zxcvbn-go module: US census
	// given names and surnames, and English words by frequency in film and
	// television subtitles. Each word sits in the one list where it ranks
	// highest, so "will" is English and "smith" a surname.
	for _, w := range zxcvbnList("MaleNames") {
		add(w, gFirst)
	}
	for _, w := range zxcvbnList("FemaleNames") {
		add(w, gFirst)
	}
	for _, w := range zxcvbnList("Surnames") {
		add(w, gLast)
	}
	for rank, w := range zxcvbnList("English") {
		// Subtitles name places too ("france"); a known place is not
		// marked as an ordinary word.
		if alphabetic(w) && flags[w]&(gPlace|gState) == 0 {
			f := gEnglish
			if rank < 5000 {
				f |= gEnglishTop
			}
			add(w, f)
		}
	}
	// Common passwords are mostly ordinary words ("dragon", "sunshine");
	// those also known as names stay names only.
	for _, w := range zxcvbnList("Passwords") {
		if len(w) >= 3 && alphabetic(w) && flags[w]&(gFirst|gLast|gPlace|gState) == 0 {
			add(w, gEnglish)
		}
	}
	g := &gazetteer{words: newWordTable(len(flags)), phrases: newWordTable(len(phrases))}
	for w, f := range flags {
		g.words.add(hashLower(w), f)
	}
	for p := range phrases {
		g.phrases.add(phraseHash(p), 1)
	}
	return g
})

// zxcvbnList returns a frequency list of zxcvbn-go, commonest first. The
// files are JSON objects holding one array of plain strings; reading the
// strings directly is several times faster than decoding the JSON, and
// the gazetteer is built while the first request waits.
func zxcvbnList(name string) []string {
	b, err := zxcvbn.Asset("data/" + name + ".json")
	if err != nil {
		panic("pii: zxcvbn list missing: " + name) // a build error, not input
	}
	i := bytes.IndexByte(b, '[')
	if i < 0 {
		panic("pii: zxcvbn list " + name + " holds no array")
	}
	var out []string
	for _, part := range bytes.Split(b[i+1:], []byte{'"'})[1:] {
		// Quoted words alternate with the commas between them.
		if w := string(part); w != "," && w != ", " && strings.IndexAny(w, "\\,]") < 0 {
			out = append(out, w)
		}
	}
	return out
}

func alphabetic(w string) bool {
	for i := 0; i < len(w); i++ {
		if c := w[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return w != ""
}

func lines(name string) []string {
	b, err := gazetteerFS.ReadFile("gazetteer/" + name)
	if err != nil {
		panic("pii: embedded gazetteer missing: " + name) // a build error, not input
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// connectors are lower-case particles that may sit between the capitalised
// words of one name: "Chiclana de la Frontera", "Dyan van Gijn".
var connectors = map[string]bool{
	"de": true, "da": true, "das": true, "del": true, "della": true, "der": true, "den": true, "di": true,
	"do": true, "dos": true, "du": true, "la": true, "le": true, "van": true, "von": true, "ter": true,
	"ten": true, "af": true, "zu": true, "y": true, "bin": true, "ibn": true, "al": true, "el": true,
	"of": true, "nad": true, "u": true, "na": true, "sur": true, "am": true, "im": true, "an": true,
}

// Street and organisation words in several languages, written for attest.
const streetWords = `street st road rd avenue ave av avda avenida boulevard blvd lane ln drive dr court ct
place pl square sq terrace way close crescent highway hwy parkway pkwy alley row walk gardens green
strasse straße str gasse weg platz allee ring damm ufer steig
straat laan weg plein gracht kade singel dreef
gatan vägen väg gränd torget gata veien vegen vei gate gade vej allé
katu tie kuja polku tori
rue chemin impasse quai cours place allée
via viale piazza corso vicolo largo strada
calle carrer camino paseo plaza ronda travesía rua travessa praça estrada largo
ulica ul aleja al ulice náměstí třída utca út tér körút
odos leoforos suite apt apartment unit floor fl building bldg box po`

const orgWords = `inc ltd llc plc gmbh ag sa srl bv nv oy ab as co corp corporation company group holdings
bank university college school institute foundation association society council committee department
ministry agency office center centre hospital clinic church museum library orchestra club team league
party partners associates solutions systems technologies labs studio studios media press records
airlines airways motors energy capital ventures consulting services international incorporated
limited investments insurance software research markets technology technologies analytics bioscience
biosciences pharmaceuticals therapeutics networks communications telecom logistics transit financial
industries enterprises laboratories partners brands foods stores`
