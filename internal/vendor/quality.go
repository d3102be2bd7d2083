package vendor

import (
	"strings"
	"unicode"
)

// Quality says whether extracted text can be trusted for review.
type Quality struct {
	// Chars counts non-space characters.
	Chars int `json:"chars"`
	// Language is the ISO 639-1 code of the detected language, or empty
	// when there is too little text to tell.
	Language string `json:"language,omitempty"`
	// Garbled is true when the characters do not form words, as happens
	// with fonts that hide their character mapping.
	Garbled bool `json:"garbled,omitempty"`
	// NeedsOCR is true when the document is mostly images or yields no
	// usable text; it must be read by a person or an OCR step.
	NeedsOCR bool   `json:"needs_ocr,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// Thresholds of the quality check.
const (
	minCharsPerPage  = 20
	minTokensForLang = 40
	minLetterRatio   = 0.5
	maxOddRatio      = 0.05
	minStopwordRatio = 0.04
)

// assess checks extracted text for emptiness, scans and garbling, and
// detects its language.
func assess(t *Text) Quality {
	var q Quality
	var letters, odd int
	for _, p := range t.Pages {
		for _, r := range p {
			switch {
			case unicode.IsSpace(r):
				continue
			case r == '\ufffd' || (r >= 0xe000 && r <= 0xf8ff) || unicode.IsControl(r):
				odd++
			case unicode.IsLetter(r):
				letters++
			}
			q.Chars++
		}
	}
	pages := max(len(t.Pages), 1)
	switch {
	case q.Chars < minCharsPerPage*pages && q.Chars < 400:
		q.NeedsOCR = true
		q.Reason = "the document has no text layer"
		if t.ScannedPages > 0 {
			q.Reason = "the pages are scanned images without text"
		}
		return q
	case t.ScannedPages*3 >= pages:
		q.NeedsOCR = true
		q.Reason = "most pages are scanned images without text"
	}
	if float64(odd) > maxOddRatio*float64(q.Chars) || float64(letters) < minLetterRatio*float64(q.Chars) {
		q.Garbled = true
		q.NeedsOCR = true
		q.Reason = "the text does not decode to readable characters"
		return q
	}
	lang, ratio, tokens := detectLanguage(t.Pages)
	if tokens >= minTokensForLang {
		q.Language = lang
		if ratio < minStopwordRatio {
			q.Language = ""
			q.Garbled = true
			q.NeedsOCR = true
			q.Reason = "the text does not form words in any known language"
		}
	}
	return q
}

// wordsOf lowercases and splits text into letter runs.
func wordsOf(s string, fn func(string)) {
	start := -1
	for i, r := range s {
		if unicode.IsLetter(r) || r == '\'' && start >= 0 {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			fn(strings.ToLower(s[start:i]))
			start = -1
		}
	}
	if start >= 0 {
		fn(strings.ToLower(s[start:]))
	}
}
