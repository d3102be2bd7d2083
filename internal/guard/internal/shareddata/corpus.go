package shareddata

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// englishSources are the benign sources of the injection set written in
// English (deepset mixes in German).
var englishSources = map[string]bool{
	"injecguard/notinject_one": true, "injecguard/notinject_two": true, "injecguard/notinject_three": true,
	"injecguard/wildguard": true, "parapet/jbb": true,
}

// BenignEnglish returns the benign English prompts of the injection
// development set: typical user text for speed measurements.
func BenignEnglish(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open(Path(tb, "data/injection/dev.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r struct {
			Text   string `json:"text"`
			Label  int    `json:"label"`
			Source string `json:"source"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			tb.Fatal(err)
		}
		if r.Label == 0 && englishSources[r.Source] {
			out = append(out, r.Text)
		}
	}
	return out
}

// Chunks joins texts with blank lines and cuts the result into pieces of
// about size bytes, each ending at a space.
func Chunks(texts []string, size int) []string {
	all := strings.Join(texts, "\n\n")
	var out []string
	for len(all) > size {
		cut := strings.LastIndexByte(all[:size], ' ')
		if cut <= 0 {
			cut = size
		}
		out = append(out, all[:cut])
		all = all[cut:]
	}
	return append(out, all)
}
