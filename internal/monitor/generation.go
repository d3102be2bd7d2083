package monitor

import (
	"strings"
	"unicode"
)

// normalize prepares an answer for comparison: lower case, punctuation
// dropped, the English articles a, an and the removed, whitespace
// collapsed. This is the usual normalization of extractive QA scoring.
func normalize(s string) string {
	return strings.Join(tokens(s), " ")
}

func tokens(s string) []string {
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsPunct(r) || unicode.IsSymbol(r):
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return unicode.ToLower(r)
	}, s)
	var out []string
	for _, w := range strings.Fields(s) {
		if w != "a" && w != "an" && w != "the" {
			out = append(out, w)
		}
	}
	return out
}

// ExactMatch is 1 when the normalized answers are equal, else 0.
func ExactMatch(expected, predicted string) float64 {
	if normalize(expected) == normalize(predicted) {
		return 1
	}
	return 0
}

// TokenF1 is the F1 of the token multisets of two normalized answers.
// Two empty answers match perfectly; one empty answer scores 0.
func TokenF1(expected, predicted string) float64 {
	want, got := tokens(expected), tokens(predicted)
	if len(want) == 0 || len(got) == 0 {
		if len(want) == len(got) {
			return 1
		}
		return 0
	}
	counts := map[string]int{}
	for _, t := range want {
		counts[t]++
	}
	common := 0
	for _, t := range got {
		if counts[t] > 0 {
			counts[t]--
			common++
		}
	}
	if common == 0 {
		return 0
	}
	return harmonic(float64(common)/float64(len(got)), float64(common)/float64(len(want)))
}

// The quadratic comparisons (RougeL, LevenshteinSimilarity) look at no more
// than this many tokens or runes of each answer, which bounds the cost of
// one pair to a few tens of milliseconds.
const (
	maxCompareTokens = 4096
	maxCompareRunes  = 8192
)

// RougeL is the ROUGE-L F1: precision and recall of the longest common
// token subsequence of two normalized answers.
func RougeL(expected, predicted string) float64 {
	want, got := tokens(expected), tokens(predicted)
	want, got = want[:min(len(want), maxCompareTokens)], got[:min(len(got), maxCompareTokens)]
	if len(want) == 0 || len(got) == 0 {
		if len(want) == len(got) {
			return 1
		}
		return 0
	}
	l := lcs(want, got)
	if l == 0 {
		return 0
	}
	return harmonic(float64(l)/float64(len(got)), float64(l)/float64(len(want)))
}

// lcs is the length of the longest common subsequence, in O(len(b)) space.
func lcs(a, b []string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			switch {
			case a[i] == b[j]:
				cur[j+1] = prev[j] + 1
			case prev[j+1] >= cur[j]:
				cur[j+1] = prev[j+1]
			default:
				cur[j+1] = cur[j]
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// LevenshteinSimilarity is 1 - distance/max(len) over the runes of the
// normalized answers: 1 for equal answers, 0 for nothing in common.
func LevenshteinSimilarity(expected, predicted string) float64 {
	a, b := []rune(normalize(expected)), []rune(normalize(predicted))
	a, b = a[:min(len(a), maxCompareRunes)], b[:min(len(b), maxCompareRunes)]
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	return 1 - float64(levenshtein(a, b))/float64(max(len(a), len(b)))
}

func levenshtein(a, b []rune) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := range a {
		cur[0] = i + 1
		for j := range b {
			cost := 1
			if a[i] == b[j] {
				cost = 0
			}
			cur[j+1] = min(prev[j+1]+1, cur[j]+1, prev[j]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
