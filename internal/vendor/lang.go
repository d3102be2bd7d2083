package vendor

import "strings"

// stopwords are frequent function words that tell languages apart. Words
// shared by several languages are left out so that each list stays
// distinctive.
var stopwords = map[string]map[string]bool{
	"en": wordSet("the and of to is that for are with as by on be this which or from were have has not an it its was been will our we all any such these their at other"),
	"de": wordSet("der die und das ist nicht mit von den zu für auf des dem sich eine einer wird werden wurde sind auch bei durch nach oder wir zur zum über unter im"),
	"fr": wordSet("le la les des est et du une que pour dans sur par au aux pas sont nous ont qui ces cette leur été avec"),
	"es": wordSet("el los las y que es por para con una del se su al son como más esta este fue han sus entre"),
	"it": wordSet("il di che è per una non sono della con del alla gli nel delle dei questo anche come stato sul"),
	"nl": wordSet("het een van en dat niet met voor op zijn ook wordt aan door worden naar bij deze werd heeft onze"),
	"pt": wordSet("os não uma para com por dos das na no é são ao pelo pela foi seu sua mais como também"),
}

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// languageNames names the detected languages in results.
var languageNames = map[string]string{
	"en": "English", "de": "German", "fr": "French", "es": "Spanish",
	"it": "Italian", "nl": "Dutch", "pt": "Portuguese",
}

// detectLanguage returns the language whose function words make up the
// largest share of the text, that share, and the number of words read. It
// reads at most the first 20,000 words.
func detectLanguage(pages []string) (lang string, ratio float64, tokens int) {
	hits := map[string]int{}
	for _, p := range pages {
		if tokens >= 20000 {
			break
		}
		wordsOf(p, func(w string) {
			tokens++
			for l, set := range stopwords {
				if set[w] {
					hits[l]++
				}
			}
		})
	}
	if tokens == 0 {
		return "", 0, 0
	}
	best := 0
	for _, l := range []string{"en", "de", "fr", "es", "it", "nl", "pt"} {
		if hits[l] > best {
			lang, best = l, hits[l]
		}
	}
	return lang, float64(best) / float64(tokens), tokens
}
