package pii

import (
	"slices"
	"testing"
)

// TestLetterHeadLayout checks that the layout of a letter head outweighs
// the name model: the line under the street and unit lines is a town
// even if the model calls it a person, and the company line above the
// street is not a place even if the model calls it one.
func TestLetterHeadLayout(t *testing.T) {
	const text = "Marta Lind\nBrightwave\n27 Harbour Road\nApt. 12\nBroomfield\nNew Zealand 8011"
	for _, tt := range []struct {
		name          string
		person, place float32
		want          []string
	}{
		{"town line over a person", 5, 0, []string{"Broomfield", "New Zealand"}},
		{"company line is no place", 0, 2, []string{"Broomfield", "New Zealand"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range biasedScanner(t, 0, tt.person, tt.place).Scan(text) {
				if f.Type == Location {
					got = append(got, text[f.Start:f.End])
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("places %q, want %q", got, tt.want)
			}
		})
	}
}
