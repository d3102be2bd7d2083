package vendor

import (
	"bytes"
	"errors"
	"fmt"
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

// pdfFile holds a parsed PDF: its cross-reference table, trailer and the
// objects loaded so far.
type pdfFile struct {
	data     []byte
	xref     map[int]xrefEntry
	trailer  pdfDict
	cache    map[int]any
	loading  map[int]bool
	objstm   map[int]*objStream
	crypt    *decrypter
	repaired bool
	budget   *decodeBudget
	lexLeft  int                   // bytes the object parser may still read
	opsLeft  int                   // content operators the whole document may still run
	formData map[*pdfStream][]byte // decoded form XObjects
}

// Document-wide work limits, generous for real reports: a 1,000-page
// report runs a few million operators.
const (
	maxOpsPerDocument = 32 << 20
	lexFactor         = 16
)

// errNoObject says an indirect object could not be found where the
// cross-reference table put it.
var errNoObject = errors.New("object not found")

// openPDF reads the cross-reference data, rebuilding it by scanning the file
// when it is missing or broken, and sets up decryption.
func openPDF(data []byte, b *decodeBudget) (*pdfFile, error) {
	if !bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")) {
		return nil, fmt.Errorf("%w: no %%PDF- header in the first 1024 bytes", ErrNotPDF)
	}
	f := &pdfFile{
		data:     data,
		xref:     map[int]xrefEntry{},
		cache:    map[int]any{},
		loading:  map[int]bool{},
		objstm:   map[int]*objStream{},
		budget:   b,
		lexLeft:  lexFactor*len(data) + 1<<20,
		opsLeft:  maxOpsPerDocument,
		formData: map[*pdfStream][]byte{},
	}
	if err := f.readXrefChain(); err == nil && f.trailer["Root"] != nil {
		if err := f.initCrypt(); err != nil {
			return nil, err
		}
		if f.rootIsCatalog() {
			return f, nil
		}
	}
	if err := f.repair(); err != nil {
		return nil, err
	}
	return f, nil
}

// repair rebuilds the cross-reference table by scanning the file.
func (f *pdfFile) repair() error {
	f.scanObjects()
	if err := f.initCrypt(); err != nil {
		return err
	}
	f.scanObjectStreams()
	return f.fixRoot()
}

// initCrypt sets up decryption and forgets objects loaded without it.
func (f *pdfFile) initCrypt() error {
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

func (f *pdfFile) rootIsCatalog() bool {
	d, ok := f.resolve(f.trailer["Root"]).(pdfDict)
	return ok && (d["Pages"] != nil || d["Type"] == pdfName("Catalog"))
}

// parseIndirect parses "n g obj ... endobj" at off. want, when non-zero,
// is the object the caller expects to find there.
func (f *pdfFile) parseIndirect(off int, want pdfRef) (pdfRef, any, error) {
	if off < 0 || off >= len(f.data) {
		return pdfRef{}, nil, errNoObject
	}
	l := pdfLexer{b: f.data, pos: off}
	l.skipSpace()
	num, ok1 := l.digits()
	l.skipSpace()
	gen, ok2 := l.digits()
	l.skipSpace()
	if !ok1 || !ok2 || !bytes.HasPrefix(f.data[l.pos:], []byte("obj")) {
		return pdfRef{}, nil, errNoObject
	}
	id := pdfRef{int(num), int(gen)}
	if want.num != 0 && id.num != want.num {
		return pdfRef{}, nil, errNoObject
	}
	if f.lexLeft <= 0 {
		return pdfRef{}, nil, errNoObject
	}
	l.pos += 3
	v, err := l.object(0)
	f.lexLeft -= l.pos - off
	if err != nil && v == nil {
		return id, nil, err
	}
	if _, ok := v.(pdfKeyword); ok {
		// "n g obj endobj": an empty object is null.
		return id, nil, nil
	}
	d, ok := v.(pdfDict)
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
	return id, &pdfStream{hdr: d, raw: f.streamData(d, l.pos), from: id}, nil
}

// streamData returns a stream's raw bytes, trusting /Length only when
// "endstream" follows it.
func (f *pdfFile) streamData(d pdfDict, start int) []byte {
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
func (f *pdfFile) resolveLength(v any) any {
	r, ok := v.(pdfRef)
	if !ok {
		return v
	}
	if f.loading[r.num] {
		return nil
	}
	return f.resolve(r)
}

// resolve follows references until it reaches a direct object.
func (f *pdfFile) resolve(v any) any {
	for i := 0; i < 32; i++ {
		r, ok := v.(pdfRef)
		if !ok {
			return v
		}
		v = f.load(r.num)
	}
	return nil
}

// load returns indirect object num, or nil if it is missing or broken.
func (f *pdfFile) load(num int) any {
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
		id, obj, err := f.parseIndirect(e.off, pdfRef{num: num})
		if err == nil {
			v = f.decryptObject(obj, id)
		}
	}
	f.cache[num] = v
	return v
}

func (f *pdfFile) loadFromStream(num int, e xrefEntry) any {
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
	l := pdfLexer{b: os.data, pos: off}
	v, err := l.object(0)
	if err != nil && v == nil {
		return nil
	}
	if _, ok := v.(pdfKeyword); ok {
		return nil
	}
	return v
}

// objectStream decodes object stream num once.
func (f *pdfFile) objectStream(num int) (*objStream, error) {
	if os, ok := f.objstm[num]; ok {
		if os == nil {
			return nil, errNoObject
		}
		return os, nil
	}
	f.objstm[num] = nil // guards against an object stream inside itself
	s, ok := f.load(num).(*pdfStream)
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
	l := pdfLexer{b: data[:first]}
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
func (f *pdfFile) dictOf(v any) pdfDict {
	switch d := f.resolve(v).(type) {
	case pdfDict:
		return d
	case *pdfStream:
		return d.hdr
	}
	return nil
}
