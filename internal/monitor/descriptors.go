package monitor

import (
	"regexp"
	"strings"
	"unicode"
)

// Descriptors are the numbers kept of one prompt and response. Drift is
// measured on these alone; the text is never stored.
type Descriptors struct {
	PromptChars    int `json:"prompt_chars"`
	ResponseChars  int `json:"response_chars"`
	PromptTokens   int `json:"prompt_tokens"`
	ResponseTokens int `json:"response_tokens"`
	// Script is the writing system of most letters of the exchange, one
	// of the Script* constants.
	Script string `json:"script"`
	// NonLatinShare is the share of letters outside the Latin script.
	NonLatinShare float64 `json:"non_latin_share"`
	// PIIRate is personal-data findings per 100 tokens of the exchange.
	PIIRate float64 `json:"pii_rate"`
	Refusal bool    `json:"refusal"`
	Error   bool    `json:"error"`
}

// Scripts that Descriptors.Script distinguishes.
const (
	ScriptNone       = "none" // no letters at all
	ScriptLatin      = "latin"
	ScriptCyrillic   = "cyrillic"
	ScriptGreek      = "greek"
	ScriptArabic     = "arabic"
	ScriptHebrew     = "hebrew"
	ScriptDevanagari = "devanagari"
	ScriptCJK        = "cjk" // Han, Hiragana and Katakana
	ScriptHangul     = "hangul"
	ScriptOther      = "other"
)

// Scripts lists every Script value; ScriptOther is last, as categorical
// histograms expect.
var Scripts = []string{ScriptNone, ScriptLatin, ScriptCyrillic, ScriptGreek, ScriptArabic,
	ScriptHebrew, ScriptDevanagari, ScriptCJK, ScriptHangul, ScriptOther}

var scriptTables = []struct {
	name   string
	tables []*unicode.RangeTable
}{
	{ScriptLatin, []*unicode.RangeTable{unicode.Latin}},
	{ScriptCyrillic, []*unicode.RangeTable{unicode.Cyrillic}},
	{ScriptGreek, []*unicode.RangeTable{unicode.Greek}},
	{ScriptArabic, []*unicode.RangeTable{unicode.Arabic}},
	{ScriptHebrew, []*unicode.RangeTable{unicode.Hebrew}},
	{ScriptDevanagari, []*unicode.RangeTable{unicode.Devanagari}},
	{ScriptCJK, []*unicode.RangeTable{unicode.Han, unicode.Hiragana, unicode.Katakana}},
	{ScriptHangul, []*unicode.RangeTable{unicode.Hangul}},
}

// Describe reduces an exchange to descriptors. piiCount is the number of
// personal-data findings a detector reported for it, failed whether the
// model call ended in an error.
func Describe(prompt, response string, piiCount int, failed bool) Descriptors {
	d := Descriptors{
		PromptChars:    len([]rune(prompt)),
		ResponseChars:  len([]rune(response)),
		PromptTokens:   EstimateTokens(prompt),
		ResponseTokens: EstimateTokens(response),
		Refusal:        IsRefusal(response),
		Error:          failed,
	}
	d.Script, d.NonLatinShare = scriptMix(prompt + "\n" + response)
	if tokens := d.PromptTokens + d.ResponseTokens; piiCount > 0 {
		d.PIIRate = 100 * float64(piiCount) / float64(max(tokens, 1))
	}
	return d
}

// EstimateTokens approximates a BPE tokenizer without its vocabulary: one
// token per four letters or digits of a word, one per CJK or Hangul
// character and one per punctuation mark or symbol. It tracks real counts
// of English text within about 20%, which is plenty to see a shift.
func EstimateTokens(s string) int {
	tokens, word := 0, 0
	flush := func() {
		tokens += (word + 3) / 4
		word = 0
	}
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul):
			flush()
			tokens++
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			word++
		case unicode.IsSpace(r):
			flush()
		default:
			flush()
			tokens++
		}
	}
	flush()
	return tokens
}

// scriptMix returns the script of most letters and the share of letters
// that are not Latin.
func scriptMix(s string) (string, float64) {
	counts := map[string]int{}
	letters := 0
	for _, r := range s {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		name := ScriptOther
		for _, st := range scriptTables {
			if unicode.In(r, st.tables...) {
				name = st.name
				break
			}
		}
		counts[name]++
	}
	if letters == 0 {
		return ScriptNone, 0
	}
	best := ScriptOther
	for _, name := range Scripts {
		if counts[name] > counts[best] {
			best = name
		}
	}
	return best, float64(letters-counts[ScriptLatin]) / float64(letters)
}

// refusalPattern matches the openings assistants use to decline, in
// English, German, French and Spanish. It looks at the start of the
// response only: a refusal quoted later in a long answer is not one.
var refusalPattern = regexp.MustCompile(`(?i)^\W*(?:` + strings.Join([]string{
	`i(?:'m| am)? ?(?:sorry|afraid)[^.!?]{0,40}\b(?:can(?:'|no)?t|cannot|unable|not able|won't|will not)`,
	`i (?:can(?:'|no)?t|cannot|won't|will not|am unable to|'m unable to|am not able to|'m not able to) (?:help|assist|provide|comply|do that|fulfil|fulfill|answer|create|write|share|support|generate)`,
	`(?:as an ai|as a language model)[^.!?]{0,60}\b(?:can(?:'|no)?t|cannot|unable|not able|don't|do not)`,
	`(?:sorry|unfortunately),? (?:but )?i (?:can(?:'|no)?t|cannot|won't|am unable|'m unable)`,
	`i must (?:decline|refuse)`,
	`(?:es )?tut mir leid,? (?:aber )?(?:ich kann|das kann ich) (?:nicht|dabei nicht)`,
	`ich kann (?:dir|ihnen|dabei)? ?(?:nicht|keine) (?:helfen|hilfe)`,
	`(?:désolé|je suis désolé)[^.!?]{0,40}\bne (?:peux|pourrai) pas`,
	`je ne (?:peux|pourrai) pas (?:vous |t')?(?:aider|répondre|fournir)`,
	`lo siento,? (?:pero )?no (?:puedo|podré)`,
	`no puedo (?:ayudar|proporcionar|responder|cumplir)`,
}, "|") + `)`)

// IsRefusal reports whether a response opens by declining the request.
func IsRefusal(response string) bool {
	head := response[:min(len(response), 300)]
	head = strings.ReplaceAll(head, "’", "'")
	return refusalPattern.MatchString(strings.TrimSpace(head))
}
