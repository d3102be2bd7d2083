package pii

import (
	"slices"
	"testing"
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
