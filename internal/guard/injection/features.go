package injection

import (
	"math"
	"unicode"
	"unicode/utf8"

	"github.com/attest-ai/attest/internal/guard/linear"
)

// ModelBits is the size of the classifier's hash table.
const ModelBits = 18

// Feature seeds: word unigrams and bigrams, byte 3- to 5-grams of the
// normalised text, and the names of matching heuristic rules.
var (
	seedWord   = linear.Hash("w")
	seedBigram = linear.Hash("b")
	seedGram   = [6]uint32{3: linear.Hash("c3"), 4: linear.Hash("c4"), 5: linear.Hash("c5")}
	seedRule   = linear.Hash("rule")
	seedLen    = linear.Hash("len")
)

// features appends the hashed n-gram features of normalised text s to dst
// and returns it with the value each feature carries (one over the square
// root of their number, so long and short texts weigh alike).
func features(dst []uint32, s string) ([]uint32, float32) {
	// Words and word pairs.
	var prev uint32
	havePrev := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isWordRune(r) {
			i += size
			continue
		}
		j := i
		for j < len(s) {
			r, size = utf8.DecodeRuneInString(s[j:])
			if !isWordRune(r) {
				break
			}
			j += size
		}
		h := linear.Hash(s[i:j])
		dst = append(dst, mix(seedWord, h))
		if havePrev {
			dst = append(dst, mix(mix(seedBigram, prev), h))
		}
		prev, havePrev = h, true
		i = j
	}
	// Byte n-grams, which see through spelling tricks and split words.
	for n := 3; n <= 5; n++ {
		for i := 0; i+n <= len(s); i++ {
			h := seedGram[n]
			for k := i; k < i+n; k++ {
				h ^= uint32(s[k])
				h *= 16777619
			}
			dst = append(dst, h)
		}
	}
	dst = append(dst, mix(seedLen, uint32(min(12, bitsLen(len(s))))))
	return dst, float32(1 / math.Sqrt(float64(max(1, len(dst)))))
}

// unitFeatures are the heuristic rules that matched, valued one each so
// that a strong sign is not diluted by the length of the text.
func unitFeatures(dst []uint32, ruleNames []string) []uint32 {
	for _, r := range ruleNames {
		dst = append(dst, mix(seedRule, linear.Hash(r)))
	}
	return dst
}

func bitsLen(n int) int {
	b := 0
	for n > 0 {
		b++
		n >>= 1
	}
	return b
}

func isWordRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') || r >= utf8.RuneSelf && unicode.IsLetter(r)
}

func mix(h, v uint32) uint32 {
	h ^= v
	h *= 0x9e3779b1
	return h ^ h>>15
}
