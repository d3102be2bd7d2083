package vendor

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Reading the cross-reference data: classic tables, cross-reference
// streams, and a full scan of the file when both are missing or wrong.

// startxref finds the offset given after the last "startxref" keyword.
func (f *pdfFile) startxref() (int, error) {
	tail := f.data[max(0, len(f.data)-2048):]
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return 0, errors.New("no startxref")
	}
	l := pdfLexer{b: tail, pos: i + len("startxref")}
	l.skipSpace()
	n, ok := l.digits()
	if !ok || int(n) >= len(f.data) {
		return 0, errors.New("bad startxref")
	}
	return int(n), nil
}

// readXrefChain reads the newest cross-reference section and every older
// one it points at. Entries already set by a newer section win.
func (f *pdfFile) readXrefChain() error {
	off, err := f.startxref()
	if err != nil {
		return err
	}
	seen := map[int]bool{}
	for off >= 0 && !seen[off] {
		seen[off] = true
		if len(seen) > 1024 {
			return errors.New("too many cross-reference sections")
		}
		trailer, err := f.readXrefAt(off)
		if err != nil {
			return err
		}
		if f.trailer == nil {
			f.trailer = trailer
		}
		if s, ok := asInt(trailer["XRefStm"]); ok && !seen[s] && s > 0 && s < len(f.data) {
			seen[s] = true
			if _, err := f.readXrefAt(s); err != nil {
				return err
			}
		}
		prev, ok := asInt(trailer["Prev"])
		if !ok || prev <= 0 || prev >= len(f.data) {
			break
		}
		off = prev
	}
	if f.trailer == nil {
		return errors.New("no trailer")
	}
	return nil
}

// readXrefAt reads a classic table or a cross-reference stream at off and
// returns its trailer dictionary.
func (f *pdfFile) readXrefAt(off int) (pdfDict, error) {
	l := pdfLexer{b: f.data, pos: off}
	l.skipSpace()
	if bytes.HasPrefix(f.data[l.pos:], []byte("xref")) {
		l.pos += 4
		return f.readXrefTable(&l)
	}
	_, obj, err := f.parseIndirect(l.pos, pdfRef{})
	if err != nil {
		return nil, err
	}
	s, ok := obj.(*pdfStream)
	if !ok || s.hdr["Type"] != pdfName("XRef") {
		return nil, errors.New("startxref does not point at a cross-reference section")
	}
	return s.hdr, f.readXrefStream(s)
}

func (f *pdfFile) readXrefTable(l *pdfLexer) (pdfDict, error) {
	for {
		l.skipSpace()
		if bytes.HasPrefix(l.b[l.pos:], []byte("trailer")) {
			l.pos += len("trailer")
			v, err := l.object(0)
			if err != nil {
				return nil, fmt.Errorf("trailer: %w", err)
			}
			d, ok := v.(pdfDict)
			if !ok {
				return nil, errors.New("trailer is not a dictionary")
			}
			return d, nil
		}
		start, ok1 := l.digits()
		l.skipSpace()
		count, ok2 := l.digits()
		if !ok1 || !ok2 || count > 1<<24 {
			return nil, errors.New("bad cross-reference subsection header")
		}
		for i := int64(0); i < count; i++ {
			l.skipSpace()
			off, ok1 := l.digits()
			l.skipSpace()
			_, ok2 := l.digits()
			l.skipSpace()
			if !ok1 || !ok2 || l.pos >= len(l.b) {
				return nil, errors.New("bad cross-reference entry")
			}
			kind := l.b[l.pos]
			l.pos++
			num := int(start + i)
			if _, done := f.xref[num]; done || kind != 'n' || off == 0 {
				continue
			}
			f.xref[num] = xrefEntry{off: int(off)}
		}
	}
}

func (f *pdfFile) readXrefStream(s *pdfStream) error {
	data, err := f.decode(s)
	if err != nil {
		return fmt.Errorf("cross-reference stream: %w", err)
	}
	w, _ := s.hdr["W"].(pdfArray)
	if len(w) < 3 {
		return errors.New("cross-reference stream without /W")
	}
	var widths [3]int
	rowLen := 0
	for i := range widths {
		n, ok := asInt(w[i])
		if !ok || n < 0 || n > 8 {
			return errors.New("bad /W in cross-reference stream")
		}
		widths[i] = n
		rowLen += n
	}
	if rowLen == 0 {
		return errors.New("empty /W in cross-reference stream")
	}
	index, _ := s.hdr["Index"].(pdfArray)
	if len(index) == 0 {
		size, _ := asInt(s.hdr["Size"])
		index = pdfArray{int64(0), int64(size)}
	}
	pos := 0
	field := func(i int) int {
		v := 0
		for k := 0; k < widths[i]; k++ {
			v = v<<8 | int(data[pos])
			pos++
		}
		return v
	}
	for i := 0; i+1 < len(index); i += 2 {
		start, _ := asInt(index[i])
		count, _ := asInt(index[i+1])
		for j := 0; j < count && pos+rowLen <= len(data); j++ {
			typ := 1
			if widths[0] > 0 {
				typ = field(0)
			}
			a, b := field(1), field(2)
			num := start + j
			if _, done := f.xref[num]; done {
				continue
			}
			switch typ {
			case 1:
				if a > 0 {
					f.xref[num] = xrefEntry{off: a}
				}
			case 2:
				f.xref[num] = xrefEntry{inStream: true, off: a, idx: b}
			}
		}
	}
	return nil
}

// scanObjects rebuilds the cross-reference table by scanning the whole file
// for "n g obj" headers and trailers, as readers do for damaged files.
func (f *pdfFile) scanObjects() {
	f.repaired = true
	f.xref = map[int]xrefEntry{}
	f.cache = map[int]any{}
	f.objstm = map[int]*objStream{}
	f.trailer = pdfDict{}
	data := f.data
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("obj"))
		if j < 0 {
			break
		}
		at := i + j
		i = at + 3
		if at+3 < len(data) && isRegular(data[at+3]) {
			continue
		}
		if num, start, ok := objHeaderBefore(data, at); ok {
			f.xref[num] = xrefEntry{off: start}
		}
	}
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("trailer"))
		if j < 0 {
			break
		}
		l := pdfLexer{b: data, pos: i + j + len("trailer")}
		i = l.pos
		if d, ok := mustObject(&l).(pdfDict); ok {
			for k, v := range d {
				f.trailer[k] = v
			}
		}
	}
	// Cross-reference streams carry the trailer entries in newer files.
	for _, n := range f.sortedNums() {
		s, ok := f.load(n).(*pdfStream)
		if !ok || s.hdr["Type"] != pdfName("XRef") {
			continue
		}
		for _, k := range []pdfName{"Root", "Info", "Encrypt", "ID"} {
			if v, ok := s.hdr[k]; ok && f.trailer[k] == nil {
				f.trailer[k] = v
			}
		}
	}
}

// scanObjectStreams registers the objects of every object stream found
// by scanObjects.
func (f *pdfFile) scanObjectStreams() {
	for _, n := range f.sortedNums() {
		s, ok := f.load(n).(*pdfStream)
		if !ok || s.hdr["Type"] != pdfName("ObjStm") {
			continue
		}
		os, err := f.objectStream(n)
		if err != nil {
			continue
		}
		for idx, num := range os.nums {
			if _, ok := f.xref[num]; !ok {
				f.xref[num] = xrefEntry{inStream: true, off: n, idx: idx}
			}
		}
	}
}

// fixRoot finds the document catalog when the trailer does not name it.
func (f *pdfFile) fixRoot() error {
	if f.rootIsCatalog() {
		return nil
	}
	delete(f.trailer, "Root")
	for _, n := range f.sortedNums() {
		if d, ok := f.load(n).(pdfDict); ok && d["Type"] == pdfName("Catalog") {
			f.trailer["Root"] = pdfRef{n, 0}
			return nil
		}
	}
	return fmt.Errorf("%w: no document catalog found, even after scanning the whole file", ErrPDFCorrupt)
}

func (f *pdfFile) sortedNums() []int {
	nums := make([]int, 0, len(f.xref))
	for n := range f.xref {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	return nums
}

func mustObject(l *pdfLexer) any {
	v, _ := l.object(0)
	return v
}

// objHeaderBefore checks that "n g " precedes the "obj" at position at and
// returns n and where the header starts.
func objHeaderBefore(b []byte, at int) (num, start int, ok bool) {
	i := at - 1
	skip := func() {
		for i >= 0 && isSpace(b[i]) {
			i--
		}
	}
	digits := func() (int, bool) {
		end := i
		for i >= 0 && b[i] >= '0' && b[i] <= '9' && end-i < 10 {
			i--
		}
		if i == end {
			return 0, false
		}
		n, err := strconv.Atoi(string(b[i+1 : end+1]))
		return n, err == nil
	}
	skip()
	if _, ok := digits(); !ok {
		return 0, 0, false
	}
	skip()
	n, ok := digits()
	if !ok || (i >= 0 && isRegular(b[i])) {
		return 0, 0, false
	}
	return n, i + 1, true
}
