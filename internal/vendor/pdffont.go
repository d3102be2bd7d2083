package vendor

import (
	"reflect"
	"strings"
	"unicode/utf16"
)

// pdfFont knows how to split a shown string into codes, what text each code
// stands for and how far each glyph advances.
type pdfFont struct {
	composite bool
	codes     *pdfCMap    // code space and CIDs of a composite font
	toUnicode *pdfCMap    // the font's ToUnicode map, if any
	enc       [256]string // text of simple-font codes from /Encoding
	unicode   bool        // composite codes are UTF-16 (Uni*-UCS2 CMaps)
	identity  bool        // composite codes are CIDs (Identity-H/V)
	first     int
	widths    []float64 // simple fonts: widths from /FirstChar
	cidW      map[int]float64
	dw        float64 // default or missing width, in glyph units
	scale     float64 // glyph units to text space (0.001, or Type 3's matrix)
	std       *[224]uint16
	fixed     bool
}

// pdfGlyph is one decoded code.
type pdfGlyph struct {
	text  string
	width float64 // advance in text space for a font size of 1
	space bool    // single-byte code 32, which word spacing applies to
}

var winAnsiByText = func() map[string]int {
	m := make(map[string]int, 224)
	for c := 255; c >= 32; c-- {
		if t := winAnsi[c]; t != "" {
			m[t] = c
		}
	}
	return m
}()

// loadFont builds a font from its dictionary, caching by object, or by
// dictionary identity for fonts written inline.
func (p *pdfPageRun) loadFont(v any) *pdfFont {
	f := p.f
	d := f.dictOf(v)
	if d == nil {
		return &pdfFont{scale: 0.001, dw: 500}
	}
	var key any = reflect.ValueOf(d).UnsafePointer()
	if r, ok := v.(pdfRef); ok {
		key = r
	}
	if ft, ok := p.fonts[key]; ok {
		return ft
	}
	ft := &pdfFont{scale: 0.001, dw: 500}
	subtype, _ := f.resolve(d["Subtype"]).(pdfName)
	if tu, ok := f.resolve(d["ToUnicode"]).(*pdfStream); ok {
		if data, err := f.decode(tu); err == nil {
			ft.toUnicode = parseCMap(data)
		}
	}
	base, _ := f.resolve(d["BaseFont"]).(pdfName)
	if subtype == "Type0" {
		ft.loadComposite(f, d)
	} else {
		ft.loadSimple(f, d, subtype, base)
	}
	p.fonts[key] = ft
	return ft
}

func (ft *pdfFont) loadSimple(f *pdfFile, d pdfDict, subtype, base pdfName) {
	std, fixed := standardMetrics(string(base))
	ft.std, ft.fixed = std, fixed
	var table *[256]string
	var diffs pdfArray
	switch e := f.resolve(d["Encoding"]).(type) {
	case pdfName:
		table = baseEncoding(e)
	case pdfDict:
		if n, ok := f.resolve(e["BaseEncoding"]).(pdfName); ok {
			table = baseEncoding(n)
		}
		diffs, _ = f.resolve(e["Differences"]).(pdfArray)
	}
	if table == nil {
		table = &winAnsi
		if subtype == "Type1" || subtype == "MMType1" {
			table = &standardEnc
		}
		if strings.Contains(string(base), "Symbol") || strings.Contains(string(base), "Dingbats") {
			table = &winAnsi
		}
	}
	ft.enc = *table
	code := 0
	for _, v := range diffs {
		switch x := f.resolve(v).(type) {
		case int64, float64:
			code, _ = asInt(x)
		case pdfName:
			if code >= 0 && code < 256 {
				if t, ok := glyphName(string(x)); ok {
					ft.enc[code] = t
				} else {
					ft.enc[code] = "\ufffd"
				}
			}
			code++
		}
	}
	if subtype == "Type3" {
		if m, ok := f.resolve(d["FontMatrix"]).(pdfArray); ok && len(m) == 6 {
			if a, ok := asFloat(f.resolve(m[0])); ok && a != 0 {
				ft.scale = abs64(a)
			}
		}
	}
	ft.first, _ = asInt(f.resolve(d["FirstChar"]))
	if w, ok := f.resolve(d["Widths"]).(pdfArray); ok {
		ft.widths = make([]float64, len(w))
		for i, v := range w {
			ft.widths[i], _ = asFloat(f.resolve(v))
		}
	}
	if fd := f.dictOf(d["FontDescriptor"]); fd != nil {
		if mw, ok := asFloat(f.resolve(fd["MissingWidth"])); ok && mw > 0 {
			ft.dw = mw
		} else if aw, ok := asFloat(f.resolve(fd["AvgWidth"])); ok && aw > 0 {
			ft.dw = aw
		}
	}
}

func (ft *pdfFont) loadComposite(f *pdfFile, d pdfDict) {
	ft.composite = true
	ft.dw = 1000
	switch e := f.resolve(d["Encoding"]).(type) {
	case pdfName:
		ft.identity = e == "Identity-H" || e == "Identity-V"
		ft.unicode = isUnicodeCMap(e)
	case *pdfStream:
		if data, err := f.decode(e); err == nil {
			ft.codes = parseCMap(data)
		}
	}
	kids, _ := f.resolve(d["DescendantFonts"]).(pdfArray)
	if len(kids) == 0 {
		return
	}
	cf := f.dictOf(kids[0])
	if cf == nil {
		return
	}
	if dw, ok := asFloat(f.resolve(cf["DW"])); ok {
		ft.dw = dw
	}
	w, _ := f.resolve(cf["W"]).(pdfArray)
	ft.cidW = map[int]float64{}
	for i := 0; i < len(w); {
		c1, ok := asInt(f.resolve(w[i]))
		if !ok || i+1 >= len(w) {
			break
		}
		if list, ok := f.resolve(w[i+1]).(pdfArray); ok {
			for j, v := range list {
				if x, ok := asFloat(f.resolve(v)); ok && len(ft.cidW) < 1<<16 {
					ft.cidW[c1+j] = x
				}
			}
			i += 2
			continue
		}
		if i+2 >= len(w) {
			break
		}
		c2, ok1 := asInt(f.resolve(w[i+1]))
		x, ok2 := asFloat(f.resolve(w[i+2]))
		if ok1 && ok2 && c2 >= c1 && c2-c1 < 1<<16 {
			for c := c1; c <= c2 && len(ft.cidW) < 1<<16; c++ {
				ft.cidW[c] = x
			}
		}
		i += 3
	}
}

// standardMetrics finds built-in widths for the standard fonts and their
// common stand-ins (Arial for Helvetica, Times New Roman for Times).
func standardMetrics(base string) (*[224]uint16, bool) {
	if i := strings.IndexByte(base, '+'); i == 6 {
		base = base[i+1:]
	}
	b := strings.ToLower(base)
	bold := strings.Contains(b, "bold") || strings.Contains(b, "black") || strings.Contains(b, "heavy")
	italic := strings.Contains(b, "italic") || strings.Contains(b, "oblique")
	switch {
	case strings.Contains(b, "courier") || strings.Contains(b, "mono"):
		return nil, true
	case strings.Contains(b, "times") || strings.Contains(b, "serif") && !strings.Contains(b, "sans") || strings.Contains(b, "georgia") || strings.Contains(b, "garamond"):
		switch {
		case bold:
			return &timesBold, false
		case italic:
			return &timesItalic, false
		}
		return &timesRoman, false
	case bold:
		return &helveticaBold, false
	}
	return &helvetica, false
}

// decode splits s into glyphs and calls fn for each.
func (ft *pdfFont) decode(s []byte, fn func(pdfGlyph)) {
	if !ft.composite {
		for _, c := range s {
			g := pdfGlyph{space: c == ' '}
			if t, ok := ft.toUnicode.lookupText(uint32(c)); ok {
				g.text = t
			} else {
				g.text = ft.enc[c]
			}
			g.width = ft.simpleWidth(int(c), g.text) * ft.scale
			fn(g)
		}
		return
	}
	for len(s) > 0 {
		var code uint32
		var n int
		switch {
		case ft.codes != nil:
			code, n = ft.codes.split(s, 2)
		case ft.identity || ft.unicode:
			code, n = (*pdfCMap)(nil).split(s, 2)
		default:
			code, n = ft.toUnicode.split(s, 2)
		}
		raw := s[:n]
		s = s[n:]
		g := pdfGlyph{space: n == 1 && code == ' '}
		switch t, ok := ft.toUnicode.lookupText(code); {
		case ok:
			g.text = t
		case ft.unicode:
			g.text = string(utf16.Decode(utf16Units(pdfString(raw))))
		default:
			g.text = "\ufffd"
		}
		cid := int(code)
		if ft.codes != nil {
			if c, ok := ft.codes.lookupCID(code); ok {
				cid = c
			}
		}
		w, ok := ft.cidW[cid]
		if !ok {
			w = ft.dw
		}
		g.width = w * ft.scale
		fn(g)
	}
}

func (ft *pdfFont) simpleWidth(code int, text string) float64 {
	if i := code - ft.first; ft.widths != nil && i >= 0 && i < len(ft.widths) {
		return ft.widths[i]
	}
	if ft.widths != nil {
		return ft.dw
	}
	if ft.fixed {
		return 600
	}
	if ft.std != nil {
		if c, ok := winAnsiByText[text]; ok && c >= 32 {
			if w := ft.std[c-32]; w > 0 {
				return float64(w)
			}
		}
	}
	return ft.dw
}

func abs64(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
