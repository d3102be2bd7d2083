package vendor

import "strconv"

// The PDF object model. Objects are plain Go values so the parser stays
// small: nil (null), bool, int64, float64, pdfString, pdfName, pdfArray,
// pdfDict, pdfRef and *pdfStream.
type (
	pdfName   string
	pdfString string // raw string bytes after escapes are resolved
	pdfArray  []any
	pdfDict   map[pdfName]any
	pdfRef    struct{ num, gen int }
)

// pdfStream is a dictionary plus the location of its raw bytes in the file
// (or in a decoded object stream, in which case streams cannot occur).
type pdfStream struct {
	hdr  pdfDict
	raw  []byte
	from pdfRef // the indirect object holding it, for decryption
}

func (r pdfRef) String() string { return strconv.Itoa(r.num) + " " + strconv.Itoa(r.gen) + " R" }

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
