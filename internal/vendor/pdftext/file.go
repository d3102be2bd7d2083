package pdftext

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// xrefEntry locates one object: at a byte offset, or inside an object
// stream.
type xrefEntry struct {
	inStream bool
	off      int // byte offset, or the object stream's number
	idx      int // index inside the object stream
}

// objStream is a decoded object stream: the objects' numbers and their
// offsets into data.
type objStream struct {
	data []byte
	nums []int
	offs []int
}

// file holds a parsed PDF: its cross-reference table, trailer and the
// objects loaded so far.
type file struct {
	data     []byte
	xref     map[int]xrefEntry
	trailer  dict
	cache    map[int]any
	loading  map[int]bool
	objstm   map[int]*objStream
	crypt    *decrypter
	repaired bool
	budget   *budget
}

// errNoObject says an indirect object could not be found where the
// cross-reference table put it.
var errNoObject = errors.New("object not found")

// open reads the cross-reference data, rebuilding it by scanning the file
// when it is missing or broken, and sets up decryption.
func open(data []byte, b *budget) (*file, error) {
	if !bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")) {
		return nil, fmt.Errorf("%w: no %%PDF- header in the first 1024 bytes", ErrNotPDF)
	}
	f := &file{
		data:    data,
		xref:    map[int]xrefEntry{},
		cache:   map[int]any{},
		loading: map[int]bool{},
		objstm:  map[int]*objStream{},
		budget:  b,
	}
	if err := f.readXrefChain(); err == nil && f.trailer["Root"] != nil {
		if err := f.initCrypt(); err != nil {
			return nil, err
		}
		if f.rootIsCatalog() {
			return f, nil
		}
	}
	f.scanObjects()
	if err := f.initCrypt(); err != nil {
		return nil, err
	}
	f.scanObjectStreams()
	if err := f.fixRoot(); err != nil {
		return nil, err
	}
	return f, nil
}

// initCrypt sets up decryption and forgets objects loaded without it.
func (f *file) initCrypt() error {
	f.crypt = nil
	d, err := newDecrypter(f)
	if err != nil {
		return err
	}
	f.crypt = d
	f.cache = map[int]any{}
	f.objstm = map[int]*objStream{}
	return nil
}

func (f *file) rootIsCatalog() bool {
	d, ok := f.resolve(f.trailer["Root"]).(dict)
	return ok && (d["Pages"] != nil || d["Type"] == name("Catalog"))
}

// startxref finds the offset given after the last "startxref" keyword.
func (f *file) startxref() (int, error) {
	tail := f.data[max(0, len(f.data)-2048):]
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return 0, errors.New("no startxref")
	}
	l := lexer{b: tail, pos: i + len("startxref")}
	l.skipSpace()
	n, ok := l.digits()
	if !ok || int(n) >= len(f.data) {
		return 0, errors.New("bad startxref")
	}
	return int(n), nil
}

// readXrefChain reads the newest cross-reference section and every older
// one it points at. Entries already set by a newer section win.
func (f *file) readXrefChain() error {
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
func (f *file) readXrefAt(off int) (dict, error) {
	l := lexer{b: f.data, pos: off}
	l.skipSpace()
	if bytes.HasPrefix(f.data[l.pos:], []byte("xref")) {
		l.pos += 4
		return f.readXrefTable(&l)
	}
	_, obj, err := f.parseIndirect(l.pos, ref{})
	if err != nil {
		return nil, err
	}
	s, ok := obj.(*stream)
	if !ok || s.hdr["Type"] != name("XRef") {
		return nil, errors.New("startxref does not point at a cross-reference section")
	}
	return s.hdr, f.readXrefStream(s)
}

func (f *file) readXrefTable(l *lexer) (dict, error) {
	for {
		l.skipSpace()
		if bytes.HasPrefix(l.b[l.pos:], []byte("trailer")) {
			l.pos += len("trailer")
			v, err := l.object(0)
			if err != nil {
				return nil, fmt.Errorf("trailer: %w", err)
			}
			d, ok := v.(dict)
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

func (f *file) readXrefStream(s *stream) error {
	data, err := f.decode(s)
	if err != nil {
		return fmt.Errorf("cross-reference stream: %w", err)
	}
	w, _ := s.hdr["W"].(array)
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
	index, _ := s.hdr["Index"].(array)
	if len(index) == 0 {
		size, _ := asInt(s.hdr["Size"])
		index = array{int64(0), int64(size)}
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
func (f *file) scanObjects() {
	f.repaired = true
	f.xref = map[int]xrefEntry{}
	f.cache = map[int]any{}
	f.objstm = map[int]*objStream{}
	f.trailer = dict{}
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
		l := lexer{b: data, pos: i + j + len("trailer")}
		i = l.pos
		if d, ok := mustObject(&l).(dict); ok {
			for k, v := range d {
				f.trailer[k] = v
			}
		}
	}
	// Cross-reference streams carry the trailer entries in newer files.
	for _, n := range f.sortedNums() {
		s, ok := f.load(n).(*stream)
		if !ok || s.hdr["Type"] != name("XRef") {
			continue
		}
		for _, k := range []name{"Root", "Info", "Encrypt", "ID"} {
			if v, ok := s.hdr[k]; ok && f.trailer[k] == nil {
				f.trailer[k] = v
			}
		}
	}
}

// scanObjectStreams registers the objects of every object stream found
// by scanObjects.
func (f *file) scanObjectStreams() {
	for _, n := range f.sortedNums() {
		s, ok := f.load(n).(*stream)
		if !ok || s.hdr["Type"] != name("ObjStm") {
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
func (f *file) fixRoot() error {
	if f.rootIsCatalog() {
		return nil
	}
	delete(f.trailer, "Root")
	for _, n := range f.sortedNums() {
		if d, ok := f.load(n).(dict); ok && d["Type"] == name("Catalog") {
			f.trailer["Root"] = ref{n, 0}
			return nil
		}
	}
	return fmt.Errorf("%w: no document catalog found, even after scanning the whole file", ErrCorrupt)
}

func (f *file) sortedNums() []int {
	nums := make([]int, 0, len(f.xref))
	for n := range f.xref {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	return nums
}

func mustObject(l *lexer) any {
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

// parseIndirect parses "n g obj ... endobj" at off. want, when non-zero,
// is the object the caller expects to find there.
func (f *file) parseIndirect(off int, want ref) (ref, any, error) {
	if off < 0 || off >= len(f.data) {
		return ref{}, nil, errNoObject
	}
	l := lexer{b: f.data, pos: off}
	l.skipSpace()
	num, ok1 := l.digits()
	l.skipSpace()
	gen, ok2 := l.digits()
	l.skipSpace()
	if !ok1 || !ok2 || !bytes.HasPrefix(f.data[l.pos:], []byte("obj")) {
		return ref{}, nil, errNoObject
	}
	id := ref{int(num), int(gen)}
	if want.num != 0 && id.num != want.num {
		return ref{}, nil, errNoObject
	}
	l.pos += 3
	v, err := l.object(0)
	if err != nil && v == nil {
		return id, nil, err
	}
	if _, ok := v.(keyword); ok {
		// "n g obj endobj": an empty object is null.
		return id, nil, nil
	}
	d, ok := v.(dict)
	if !ok {
		return id, v, nil
	}
	save := l.pos
	l.skipSpace()
	if !bytes.HasPrefix(f.data[l.pos:], []byte("stream")) {
		l.pos = save
		return id, d, nil
	}
	l.pos += len("stream")
	if l.pos < len(f.data) && f.data[l.pos] == '\r' {
		l.pos++
	}
	if l.pos < len(f.data) && f.data[l.pos] == '\n' {
		l.pos++
	}
	return id, &stream{hdr: d, raw: f.streamData(d, l.pos), from: id}, nil
}

// streamData returns a stream's raw bytes, trusting /Length only when
// "endstream" follows it.
func (f *file) streamData(d dict, start int) []byte {
	if n, ok := asInt(f.resolveLength(d["Length"])); ok && n >= 0 && start+n <= len(f.data) {
		rest := f.data[start+n:]
		k := 0
		for k < len(rest) && k < 4 && isSpace(rest[k]) {
			k++
		}
		if bytes.HasPrefix(rest[k:], []byte("endstream")) {
			return f.data[start : start+n]
		}
	}
	end := bytes.Index(f.data[start:], []byte("endstream"))
	if end < 0 {
		return f.data[start:]
	}
	end += start
	if end > start && f.data[end-1] == '\n' {
		end--
	}
	if end > start && f.data[end-1] == '\r' {
		end--
	}
	return f.data[start:end]
}

// resolveLength resolves a /Length that may be indirect without recursing
// into a stream that is still being parsed.
func (f *file) resolveLength(v any) any {
	r, ok := v.(ref)
	if !ok {
		return v
	}
	if f.loading[r.num] {
		return nil
	}
	return f.resolve(r)
}

// resolve follows references until it reaches a direct object.
func (f *file) resolve(v any) any {
	for i := 0; i < 32; i++ {
		r, ok := v.(ref)
		if !ok {
			return v
		}
		v = f.load(r.num)
	}
	return nil
}

// load returns indirect object num, or nil if it is missing or broken.
func (f *file) load(num int) any {
	if v, ok := f.cache[num]; ok {
		return v
	}
	if f.loading[num] {
		return nil
	}
	e, ok := f.xref[num]
	if !ok {
		return nil
	}
	f.loading[num] = true
	defer delete(f.loading, num)
	var v any
	if e.inStream {
		v = f.loadFromStream(num, e)
	} else {
		id, obj, err := f.parseIndirect(e.off, ref{num: num})
		if err == nil {
			v = f.decryptObject(obj, id)
		}
	}
	f.cache[num] = v
	return v
}

func (f *file) loadFromStream(num int, e xrefEntry) any {
	os, err := f.objectStream(e.off)
	if err != nil {
		return nil
	}
	idx := e.idx
	if idx >= len(os.nums) || os.nums[idx] != num {
		idx = -1
		for i, n := range os.nums {
			if n == num {
				idx = i
				break
			}
		}
		if idx < 0 {
			return nil
		}
	}
	off := os.offs[idx]
	if off < 0 || off >= len(os.data) {
		return nil
	}
	l := lexer{b: os.data, pos: off}
	v, err := l.object(0)
	if err != nil && v == nil {
		return nil
	}
	if _, ok := v.(keyword); ok {
		return nil
	}
	return v
}

// objectStream decodes object stream num once.
func (f *file) objectStream(num int) (*objStream, error) {
	if os, ok := f.objstm[num]; ok {
		if os == nil {
			return nil, errNoObject
		}
		return os, nil
	}
	f.objstm[num] = nil // guards against an object stream inside itself
	s, ok := f.load(num).(*stream)
	if !ok {
		return nil, errNoObject
	}
	data, err := f.decode(s)
	if err != nil {
		return nil, err
	}
	n, _ := asInt(s.hdr["N"])
	first, _ := asInt(s.hdr["First"])
	if n < 0 || n > len(data) || first < 0 || first > len(data) {
		return nil, errors.New("bad object stream header")
	}
	os := &objStream{data: data}
	l := lexer{b: data[:first]}
	for i := 0; i < n; i++ {
		l.skipSpace()
		on, ok1 := l.digits()
		l.skipSpace()
		oo, ok2 := l.digits()
		if !ok1 || !ok2 {
			break
		}
		os.nums = append(os.nums, int(on))
		os.offs = append(os.offs, first+int(oo))
	}
	f.objstm[num] = os
	return os, nil
}

// dictOf resolves v to a dictionary, reading a stream's header if needed.
func (f *file) dictOf(v any) dict {
	switch d := f.resolve(v).(type) {
	case dict:
		return d
	case *stream:
		return d.hdr
	}
	return nil
}
