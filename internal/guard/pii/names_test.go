package pii

import (
	"slices"
	"testing"

	"github.com/attest-ai/attest/internal/guard/linear"
)

// TestNameRuns covers the handling of runs of capitalised words: ordinary
// words at their edges are context, lists of names agree, acronyms and
// e-mail addresses are not names.
func TestNameRuns(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		typ        Type
		want       []string
	}{
		{"leading function word", "In Belgium they have company songs.", Location, []string{"Belgium"}},
		{"title case phrase", "Carry Me Back To Poland, a song.", Location, []string{"Poland"}},
		{"list of names", "They had 6: Gaetane, Hannah, Anthony, Derek, Anna and Andrew.", Person, []string{"Gaetane", "Hannah", "Anthony", "Derek", "Anna", "Andrew"}},
		{"acronym", "He explained to Fuse TV: the song was about their state.", Location, nil},
		{"e-mail is not a name", "Please send my portfolio to TeresaKreutzmann@example.com", Person, nil},
		{"organisation after name", "I worked at Morgan Stanley Bank for years.", Person, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := findType(tt.text, tt.typ); !slices.Equal(got, tt.want) {
				t.Errorf("%s in %q: got %q, want %q (all: %+v)", tt.typ, tt.text, got, tt.want, allScanner.Scan(tt.text))
			}
		})
	}
}

func TestEdgeTok(t *testing.T) {
	g := gaz()
	tok := func(w string) ntok {
		tk, _ := readTok(w, 0, len(w))
		tk.fill(w, g)
		return tk
	}
	for _, tt := range []struct {
		w    string
		edge bool
	}{{"In", true}, {"The", true}, {"Bank", true}, {"Mr", true}, {"Teresa", false}, {"Kreutzmann", false}, {"Belgium", false}} {
		if got := edgeTok(tok(tt.w), false); got != tt.edge {
			t.Errorf("edgeTok(%q) = %v, want %v", tt.w, got, tt.edge)
		}
	}
}

func TestListJoint(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{{", ", true}, {" and ", true}, {", and ", true}, {" & ", true}, {" with ", false}, {"; ", false}, {"", false}} {
		if got := listJoint(tt.s, 0, len(tt.s)); got != tt.want {
			t.Errorf("listJoint(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

// biasedScanner returns a scanner whose name model ignores every feature
// and gives each word the same class probabilities, from the biases of
// O, PERSON and LOCATION, so that tests see the rules around the model.
func biasedScanner(t *testing.T, o, person, place float32) *Scanner {
	t.Helper()
	m := linear.New(NameModelBits, nameClasses)
	m.Bias[labelO], m.Bias[labelPerson], m.Bias[labelLocation] = o, person, place
	s, err := NewScanner(Options{NameModel: m})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPlacePreposition checks that a preposition of place tips a word the
// model is unsure of towards LOCATION, and that nothing else does.
func TestPlacePreposition(t *testing.T) {
	// Probabilities O 0.47, PERSON 0.10, LOCATION 0.43.
	s := biasedScanner(t, 0.5, -1, 0.4)
	for _, tt := range []struct {
		text string
		want []string
	}{
		{"The festival was held in Vorðufell last year.", []string{"Vorðufell"}},
		{"My grandmother came from Skarðsvík, a fishing village.", []string{"Skarðsvík"}},
		{"We rented a cabin near Tjørnuvík for the week.", []string{"Tjørnuvík"}},
		{"She sent the parcel to Vorðufell yesterday.", nil},
		{"Vorðufell sent the parcel yesterday.", nil},
	} {
		var got []string
		for _, f := range s.Scan(tt.text) {
			if f.Type == Location {
				got = append(got, tt.text[f.Start:f.End])
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q: places %q, want %q", tt.text, got, tt.want)
		}
	}
	// The preposition does not overrule a model that prefers a person.
	s = biasedScanner(t, 0.5, 0.45, 0.4)
	if f := s.Scan("I'm in Vorðufell now."); slices.ContainsFunc(f, func(f Finding) bool { return f.Type == Location }) {
		t.Errorf("a word more likely a person became a place: %+v", f)
	}
}
