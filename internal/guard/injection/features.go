package injection

import (
	"math"

	"github.com/attest-ai/attest/internal/guard/linear"
)

// ModelBits is the size of the classifier's hash table.
const ModelBits = 18

// Feature seeds.
var (
	seedWord    = wordHash("w")
	seedBigram  = wordHash("b")
	seedTrigram = wordHash("t")
	seedPos     = wordHash("pos")
	seedRule    = wordHash("rule")
	seedLen     = wordHash("len")
)

// leadWords is how many words at the start of a text also count as
// features of their own: requests and commands announce themselves there.
const leadWords = 3

// featurizer turns one normalised text into hashed features in a single
// pass over its bytes: character 3- to 5-grams, which see through
// misspellings and split words; word unigrams, bigrams and trigrams; the
// first words; and the rules, which read the same words. Its buffers are
// reused, so scoring a prompt allocates nothing.
type featurizer struct {
	feats []uint32 // n-gram features, valued 1/sqrt(len(feats))
	unit  []uint32 // rule features, valued one
	rm    *ruleMatcher
	norm  []byte // the normalised text
	// What the text hides: common English words in it and in its rot13
	// reading, and the longest runs of single letters and of hex pairs
	// written one apart.
	plain, rotated   int
	spaced, hexPairs []byte
	run1, run2       []byte // the current such runs
}

func newFeaturizer() *featurizer {
	return &featurizer{feats: make([]uint32, 0, 8192), unit: make([]uint32, 0, 16), rm: newRuleMatcher(), norm: make([]byte, 0, 4096)}
}

// wordByte reports whether c belongs to a word of normalised text: a
// lower-case letter, a digit, or part of a non-ASCII character.
func wordByte(c byte) bool { return wordBytes[c] }

var wordBytes = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 0x80
	}
	return t
}()

// run computes the features of normalised text s and returns the value
// of each n-gram feature.
func (f *featurizer) run(s []byte) float32 {
	f.rm.reset()
	f.plain, f.rotated = 0, 0
	f.spaced, f.hexPairs, f.run1, f.run2 = f.spaced[:0], f.hexPairs[:0], f.run1[:0], f.run2[:0]
	// Three character grams a byte and four word features a word at
	// most: reserving room once keeps the appends below cheap.
	fs := f.feats[:0]
	if need := 7*len(s) + 8; cap(fs) < need {
		fs = make([]uint32, 0, need)
	}
	var (
		win      uint64 // the last eight bytes
		h        uint32 // hash of the current word so far
		r        uint32 // hash of its rot13 reading
		n        int    // its length
		prefix   [maxPrefix + 1]uint32
		prev     [2]uint32 // the two previous words' hashes
		words    int32
		sentence = true // the next word starts a sentence
	)
	endWord := func(i int) {
		fs = append(fs, mix(seedWord, h))
		if words > 0 {
			fs = append(fs, mix(mix(seedBigram, prev[1]), h))
		}
		if words > 1 {
			fs = append(fs, mix(mix(mix(seedTrigram, prev[0]), prev[1]), h))
		}
		if words < leadWords {
			fs = append(fs, mix(seedPos+uint32(words), h))
		}
		f.rm.word(words, h, &prefix, min(n, maxPrefix), sentence)
		f.hidden(s, i, n, h, r)
		prev[0], prev[1] = prev[1], h
		words++
		sentence = false
		n = 0
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		// The grams of the first bytes are padded with zeros, which marks
		// the start of the text.
		win = win<<8 | uint64(c)
		fs = append(fs, gram3(win), gram4(win), gram5(win))
		if wordByte(c) {
			if n == 0 {
				h, r = 2166136261, 2166136261
			}
			h = (h ^ uint32(c)) * 16777619
			r = (r ^ uint32(rot13Byte[c])) * 16777619
			n++
			if n <= maxPrefix {
				prefix[n] = h
			}
			continue
		}
		if n > 0 {
			endWord(i)
		}
		switch c {
		case '.', '!', '?', ':', ';', '"':
			sentence = true
		}
	}
	if n > 0 {
		endWord(len(s))
	}
	fs = append(fs, mix(seedLen, uint32(bitsLen(len(s)))))
	f.feats = fs
	f.endRuns()
	f.rm.literals(s)
	f.unit = f.unit[:0]
	for ri := range ruleSpecs {
		if f.rm.hits&(1<<ri) != 0 {
			f.unit = append(f.unit, mix(seedRule, uint32(ri)+1))
		}
	}
	return float32(1 / math.Sqrt(float64(len(fs))))
}

// hidden updates the signs of hidden text with the word of n bytes that
// ends just before s[i] (or at the end of s), hashed h and, read as rot13,
// r.
func (f *featurizer) hidden(s []byte, i, n int, h, r uint32) {
	if n <= 12 {
		if common(h) {
			f.plain++
		}
		if common(r) {
			f.rotated++
		}
	}
	end := i
	word := s[end-n : end]
	// A run continues only across a single separator.
	gap := end - n - 1
	joined := gap >= 1 && wordByte(s[gap-1]) && (s[gap] == ' ' || s[gap] == ':')
	if n == 1 && isLetter(word[0]) {
		if !joined || len(f.run1) == 0 {
			f.endRuns()
		}
		f.run1 = append(f.run1, word[0])
	} else if len(f.run1) > 0 {
		f.endRuns()
	}
	if n == 2 && isHexByte(word[0]) && isHexByte(word[1]) {
		if !joined || len(f.run2) == 0 {
			f.run2 = f.run2[:0]
		}
		f.run2 = append(f.run2, word...)
		if len(f.run2) > len(f.hexPairs) {
			f.hexPairs = append(f.hexPairs[:0], f.run2...)
		}
	} else {
		f.run2 = f.run2[:0]
	}
}

// endRuns closes the current run of single letters.
func (f *featurizer) endRuns() {
	if len(f.run1) > len(f.spaced) {
		f.spaced = append(f.spaced[:0], f.run1...)
	}
	f.run1 = f.run1[:0]
}

// score returns the model's log-odds for the features of the last run.
func (f *featurizer) score(m *linear.Model, scale float32) float32 {
	// The model's shape is checked when it is loaded; as an array the
	// table needs no bounds check per feature.
	w := (*[1 << ModelBits]float32)(m.W)
	const mask = 1<<ModelBits - 1
	var s0, s1, s2, s3 float32
	fs := f.feats
	i := 0
	for ; i+4 <= len(fs); i += 4 {
		q := fs[i : i+4 : i+4]
		s0 += w[q[0]&mask]
		s1 += w[q[1]&mask]
		s2 += w[q[2]&mask]
		s3 += w[q[3]&mask]
	}
	for _, h := range fs[i:] {
		s0 += w[h&mask]
	}
	z := m.Bias[0] + scale*((s0+s1)+(s2+s3))
	for _, u := range f.unit {
		z += w[u&mask]
	}
	return z
}

// gram3, gram4 and gram5 hash the last three, four and five bytes held
// in win, each with its own odd multiplier.
func gram3(win uint64) uint32 { return uint32((win&0xffffff + 1) * 0x9e3779b97f4a7c15 >> 32) }
func gram4(win uint64) uint32 { return uint32((win&0xffffffff + 2) * 0xc2b2ae3d27d4eb4f >> 32) }
func gram5(win uint64) uint32 { return uint32((win&0xffffffffff + 3) * 0x165667b19e3779f9 >> 32) }

func bitsLen(n int) int {
	b := 0
	for n > 0 {
		b++
		n >>= 1
	}
	return min(b, 14)
}

func mix(h, v uint32) uint32 {
	h ^= v
	h *= 0x9e3779b1
	return h ^ h>>15
}

// example returns the training example of a featurized text.
func (f *featurizer) example(label int, scale float32) linear.Example {
	return linear.Example{
		Buckets: append([]uint32(nil), f.feats...),
		Unit:    append([]uint32(nil), f.unit...),
		Class:   label,
		Scale:   scale,
	}
}
