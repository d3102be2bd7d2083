package pdftext

import (
	"fmt"
	"strconv"
)

// The PDF object model. Objects are plain Go values so the parser stays
// small: nil (null), bool, int64, float64, str, name, array, dict, ref and
// *stream.
type (
	name  string
	str   string // raw string bytes after escapes are resolved
	array []any
	dict  map[name]any
	ref   struct{ num, gen int }
)

// stream is a dictionary plus the location of its raw bytes in the file
// (or in a decoded object stream, in which case streams cannot occur).
type stream struct {
	hdr  dict
	raw  []byte
	from ref // the indirect object holding it, for decryption
}

func (r ref) String() string { return strconv.Itoa(r.num) + " " + strconv.Itoa(r.gen) + " R" }

// asInt reads a number as an int, truncating reals.
func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case int64:
		return int(n), true
	case float64:
		if n != n || n > 1<<40 || n < -(1<<40) {
			return 0, false
		}
		return int(n), true
	}
	return 0, false
}

// asFloat reads a number as a float64.
func asFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// describe names an object's type for error messages without echoing its
// contents, which may be document text.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case int64, float64:
		return "number"
	case str:
		return "string"
	case name:
		return "name"
	case array:
		return "array"
	case dict:
		return "dictionary"
	case ref:
		return "reference"
	case *stream:
		return "stream"
	}
	return fmt.Sprintf("%T", v)
}
