package pii

import (
	"strings"
	"sync"
)

// Cue words: the words that typically stand next to a person's or a
// place's name. The model learns a weight per class, so a word of a class
// it never saw next to a name in training still counts. Written for
// attest.
const (
	cuePlacePrep    = iota + 1 // in, from, to: prepositions of place
	cueMove                    // verbs of living and travelling
	cuePlaceNoun               // city, country, region
	cueTitle                   // honorifics
	cuePersonBefore            // words that introduce a person: by, named, dear
	cueRelation                // family, work and social roles
	cueSpeech                  // said, says, told: verbs of speech after a name
	cueVerbAfter               // is, was, has: verbs that follow a subject
	cueTime                    // on, this, last: time words after a place
	cueConjunction             // and, or
	cueArticle                 // the, a, an
)

var cueWords = map[int]string{
	cuePlacePrep:    "in at from to near into toward towards across around via throughout within outside inside of",
	cueMove:         "visit visited visiting visits flew fly flying flies travel travelled traveled travelling traveling travels moved move moving moves returned return returning arrived arrive arriving went go going goes live lives lived living based located born raised grew headquartered stationed relocated trip drove drive driving sailed landed reside resides resided",
	cuePlaceNoun:    "city town village country state province region capital island county district suburb area municipality republic kingdom",
	cueTitle:        "mr mrs ms miss mx dr prof sir madam dame lord lady rev fr mister doctor professor",
	cuePersonBefore: "by with named called name names nickname dear hi hello hey thanks thank cc meet met ask asked tell told contact email call calls signed regards sincerely user customer client author",
	cueRelation:     "friend wife husband son daughter brother sister mother father mom dad colleague boss uncle aunt cousin grandfather grandmother grandson granddaughter kid child children partner manager ceo director producer actor actress singer writer player coach teacher student neighbour neighbor assistant founder founders guardian beneficiary",
	cueSpeech:       "said says say told tells asked asks replied replies explained explains wrote writes shouted shouts added adds noted notes",
	cueVerbAfter:    "is was has had will would can could should did does began begins spent spends will wants wanted likes liked loves loved works worked lives lived",
	cueTime:         "on this last next yesterday today tomorrow morning evening during since until before after",
	cueConjunction:  "and or nor",
	cueArticle:      "the a an",
}

// cueTable maps the hash of a cue word to its class. A word in two lists
// keeps the first.
var cueTable = sync.OnceValue(func() *wordTable {
	n := 0
	for _, l := range cueWords {
		n += len(strings.Fields(l))
	}
	t := newWordTable(n)
	for c := 1; c <= len(cueWords); c++ {
		for _, w := range strings.Fields(cueWords[c]) {
			if h := hashLower(w); t.get(h) == 0 {
				t.add(h, uint16(c))
			}
		}
	}
	return t
})
