package cmdline

import (
	"fmt"
	"strings"
)

// Count says how many of noun there are, in the singular for exactly one:
// Count(1, "page") is "1 page", Count(3, "entry") is "3 entries" and
// Count(0, "hash") is "0 hashes". Only the last word is inflected, so
// "consistency proof" and "data key" work; nouns whose plural is not
// regular English spelling are not supported.
func Count[N ~int | ~int32 | ~int64 | ~uint | ~uint32 | ~uint64](n N, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %s", n, Plural(noun))
}

// Plural is the plural of a regular English noun: "entries", "hashes",
// "witnesses", "keys", "pages".
func Plural(noun string) string {
	switch {
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "x"), strings.HasSuffix(noun, "z"),
		strings.HasSuffix(noun, "ch"), strings.HasSuffix(noun, "sh"):
		return noun + "es"
	case len(noun) > 1 && noun[len(noun)-1] == 'y' && !strings.ContainsRune("aeiou", rune(noun[len(noun)-2])):
		return noun[:len(noun)-1] + "ies"
	}
	return noun + "s"
}
