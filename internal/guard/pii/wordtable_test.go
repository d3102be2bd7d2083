package pii

import (
	"encoding/json"
	"strings"
	"testing"

	zxcvbn "github.com/nbutton23/zxcvbn-go/data"
)

func TestHashLowerIgnoresCase(t *testing.T) {
	for _, w := range []string{"Teresa", "SEINÄJOKI", "o'brien", "Hauta-aho", "Ωmega", ""} {
		if hashLower(w) != hashLower(strings.ToLower(w)) {
			t.Errorf("hashLower(%q) differs from its lower-case form", w)
		}
	}
	if hashLower("teresa") == hashLower("teresb") {
		t.Error("different words hash alike")
	}
	// A phrase is hashed word by word.
	if got, want := hashLowerFrom(hashByte(hashLower("New"), ' '), "York"), hashLower("new york"); got != want {
		t.Errorf("incremental phrase hash %x, want %x", got, want)
	}
}

// TestReadTokHashes checks that the hash readTok computes on the way
// equals hashLower of the word without its full stop.
func TestReadTokHashes(t *testing.T) {
	for _, text := range []string{"Kreutzmann", "O'Brien's", "Hauta-aho", "Mr. Smith", "P. Jones", "ÄNGELHOLM", "x", "st."} {
		for i := 0; i < len(text); {
			tk, next := readTok(text, i, len(text))
			if next <= i {
				break
			}
			i = next
			if tk.kind != tWord {
				continue
			}
			w := strings.TrimSuffix(text[tk.s:tk.e], ".")
			tk.hash(text)
			if tk.h != hashLower(w) {
				t.Errorf("%q: readTok hash of %q is %x, want %x", text, w, tk.h, hashLower(w))
			}
		}
	}
}

func TestWordTable(t *testing.T) {
	tb := newWordTable(100)
	for i, w := range []string{"alpha", "beta", "gamma"} {
		tb.add(hashLower(w), 1<<i)
	}
	tb.add(hashLower("beta"), 8)
	for _, tt := range []struct {
		w    string
		want uint16
	}{{"alpha", 1}, {"BETA", 2 | 8}, {"gamma", 4}, {"delta", 0}} {
		if got := tb.get(hashLower(tt.w)); got != tt.want {
			t.Errorf("get(%q) = %b, want %b", tt.w, got, tt.want)
		}
	}
}

// TestZxcvbnLists checks the quick reader of the zxcvbn frequency lists
// against a JSON decoder.
func TestZxcvbnLists(t *testing.T) {
	for _, n := range []string{"English", "Surnames", "MaleNames", "FemaleNames", "Passwords"} {
		b, err := zxcvbn.Asset("data/" + n + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var l struct{ List []string }
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatal(err)
		}
		got := zxcvbnList(n)
		if len(got) != len(l.List) {
			t.Fatalf("%s: read %d words, JSON has %d", n, len(got), len(l.List))
		}
		for i := range got {
			if got[i] != l.List[i] {
				t.Fatalf("%s word %d: read %q, JSON has %q", n, i, got[i], l.List[i])
			}
		}
	}
}

func TestGazetteer(t *testing.T) {
	g := gaz()
	for _, tt := range []struct {
		w          string
		has, hasNo uint16
	}{
		{"meet", gEnglish, gFirst | gLast | gPlace},
		{"france", gPlace, gEnglish},
		{"becker", gLast, gPlace},
		{"teresa", gFirst, gPlace},
		{"strasse", gStreet, 0},
		{"van", gConnector, 0},
	} {
		fl := g.lookup(tt.w)
		if fl&tt.has != tt.has || fl&tt.hasNo != 0 {
			t.Errorf("flags of %q are %b, want %b set and %b clear", tt.w, fl, tt.has, tt.hasNo)
		}
	}
	if g.phrases.get(phraseHash("New  Zealand")) == 0 || g.phrases.get(phraseHash("new zealand")) == 0 {
		t.Error("multi-word place not found")
	}
}
