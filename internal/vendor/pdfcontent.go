package vendor

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"unicode/utf8"
)

// Limits on the work one page may cause.
const (
	maxOpsPerPage    = 4 << 20
	maxGlyphsPerPage = 1 << 20
	maxFormDepth     = 12
	maxStateDepth    = 256
)

var (
	errPageTooComplex = errors.New("page content exceeds the operator limit")
	errDocTooComplex  = errors.New("document content exceeds the operator limit")
)

type pdfMatrix [6]float64

var identityMatrix = pdfMatrix{1, 0, 0, 1, 0, 0}

// mul returns m × n, applying m first.
func (m pdfMatrix) mul(n pdfMatrix) pdfMatrix {
	return pdfMatrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func (m pdfMatrix) apply(x, y float64) (float64, float64) {
	return x*m[0] + y*m[2] + m[4], x*m[1] + y*m[3] + m[5]
}

type graphicsState struct {
	ctm       pdfMatrix
	font      *pdfFont
	size      float64
	charSpace float64
	wordSpace float64
	hscale    float64
	leading   float64
	rise      float64
}

// textSpan is a run of glyphs on one baseline, in the coordinates of its
// reading direction (x grows along the text, y grows up).
type textSpan struct {
	x, y, end float64
	size      float64
	dir       int
	text      []byte
}

// pdfPageRun interprets one page's content streams and collects its text.
type pdfPageRun struct {
	ctx    context.Context
	f      *pdfFile
	fonts  map[any]*pdfFont
	gs     graphicsState
	stack  []graphicsState
	tm     pdfMatrix
	tlm    pdfMatrix
	ops    int
	glyphs int
	spans  []textSpan
	forms  map[*pdfStream]bool
	images int
	cover  float64 // largest fraction of the page one image covers
	area   float64
}

func newPDFPageRun(ctx context.Context, f *pdfFile, fonts map[any]*pdfFont, box [4]float64) *pdfPageRun {
	area := (box[2] - box[0]) * (box[3] - box[1])
	if area <= 0 || math.IsNaN(area) || math.IsInf(area, 0) {
		area = 612 * 792
	}
	return &pdfPageRun{
		ctx:   ctx,
		f:     f,
		fonts: fonts,
		gs:    graphicsState{ctm: identityMatrix, hscale: 1},
		forms: map[*pdfStream]bool{},
		area:  math.Abs(area),
	}
}

// run interprets content with the given resources.
func (p *pdfPageRun) run(content []byte, res pdfDict, depth int) error {
	l := pdfLexer{b: content}
	var args []any
	for {
		v, err := l.token(0)
		if err != nil {
			if errors.Is(err, errEOF) {
				return nil
			}
			args = args[:0]
			continue
		}
		if n, ok := v.(int64); ok {
			v = float64(n)
		}
		op, isOp := v.(pdfKeyword)
		if !isOp {
			if len(args) >= 32 {
				args = append(args[:0], args[1:]...)
			}
			args = append(args, v)
			continue
		}
		p.ops++
		p.f.opsLeft--
		if p.ops > maxOpsPerPage {
			return errPageTooComplex
		}
		if p.f.opsLeft < 0 {
			return errDocTooComplex
		}
		if p.ops&0xffff == 0 {
			if err := p.ctx.Err(); err != nil {
				return err
			}
		}
		if err := p.do(string(op), args, res, &l, depth); err != nil {
			return err
		}
		args = args[:0]
	}
}

func numArg(args []any, i int) float64 {
	if i < len(args) {
		if f, ok := args[i].(float64); ok && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f
		}
	}
	return 0
}

func matrixArgs(args []any) (pdfMatrix, bool) {
	if len(args) < 6 {
		return identityMatrix, false
	}
	var m pdfMatrix
	for i := range m {
		m[i] = numArg(args, len(args)-6+i)
	}
	return m, true
}

func (p *pdfPageRun) do(op string, args []any, res pdfDict, l *pdfLexer, depth int) error {
	switch op {
	case "q":
		if len(p.stack) < maxStateDepth {
			p.stack = append(p.stack, p.gs)
		}
	case "Q":
		if n := len(p.stack); n > 0 {
			p.gs = p.stack[n-1]
			p.stack = p.stack[:n-1]
		}
	case "cm":
		if m, ok := matrixArgs(args); ok {
			p.gs.ctm = m.mul(p.gs.ctm)
		}
	case "BT":
		p.tm, p.tlm = identityMatrix, identityMatrix
	case "Tf":
		if len(args) >= 2 {
			if n, ok := args[len(args)-2].(pdfName); ok {
				fonts := p.f.dictOf(res["Font"])
				p.gs.font = p.loadFont(fonts[n])
			}
			p.gs.size = numArg(args, len(args)-1)
		}
	case "Tc":
		p.gs.charSpace = numArg(args, 0)
	case "Tw":
		p.gs.wordSpace = numArg(args, 0)
	case "Tz":
		p.gs.hscale = numArg(args, 0) / 100
	case "TL":
		p.gs.leading = numArg(args, 0)
	case "Ts":
		p.gs.rise = numArg(args, 0)
	case "Td":
		p.move(numArg(args, 0), numArg(args, 1))
	case "TD":
		p.gs.leading = -numArg(args, 1)
		p.move(numArg(args, 0), numArg(args, 1))
	case "Tm":
		if m, ok := matrixArgs(args); ok {
			p.tm, p.tlm = m, m
		}
	case "T*":
		p.move(0, -p.gs.leading)
	case "Tj":
		if len(args) > 0 {
			p.show(args[len(args)-1])
		}
	case "'":
		p.move(0, -p.gs.leading)
		if len(args) > 0 {
			p.show(args[len(args)-1])
		}
	case "\"":
		if len(args) >= 3 {
			p.gs.wordSpace, p.gs.charSpace = numArg(args, 0), numArg(args, 1)
			p.move(0, -p.gs.leading)
			p.show(args[2])
		}
	case "TJ":
		if len(args) == 0 {
			return nil
		}
		arr, _ := args[len(args)-1].(pdfArray)
		for _, v := range arr {
			switch x := v.(type) {
			case pdfString:
				p.show(x)
			case int64, float64:
				f, _ := asFloat(x)
				p.advance(-f / 1000 * p.gs.size * p.gs.hscale)
			}
		}
	case "Do":
		if len(args) > 0 {
			if n, ok := args[len(args)-1].(pdfName); ok {
				return p.xobject(n, res, depth)
			}
		}
	case "BI":
		p.inlineImage(l)
	}
	return nil
}

func (p *pdfPageRun) move(tx, ty float64) {
	p.tlm = pdfMatrix{1, 0, 0, 1, tx, ty}.mul(p.tlm)
	p.tm = p.tlm
}

func (p *pdfPageRun) advance(tx float64) {
	p.tm[4] += tx * p.tm[0]
	p.tm[5] += tx * p.tm[1]
}

// show places the glyphs of one string.
func (p *pdfPageRun) show(v any) {
	s, ok := v.(pdfString)
	if !ok || p.gs.font == nil {
		return
	}
	gs := &p.gs
	gs.font.decode([]byte(s), func(g pdfGlyph) {
		p.glyphs++
		if p.glyphs > maxGlyphsPerPage {
			return
		}
		trm := pdfMatrix{gs.size * gs.hscale, 0, 0, gs.size, 0, gs.rise}.mul(p.tm).mul(gs.ctm)
		x0, y0 := trm[4], trm[5]
		x1, y1 := trm.apply(g.width, 0)
		size := math.Hypot(trm[2], trm[3])
		dir := direction(trm[0], trm[1])
		p.emit(g.text, x0, y0, x1, y1, size, dir)
		tx := g.width*gs.size + gs.charSpace
		if g.space {
			tx += gs.wordSpace
		}
		p.advance(tx * gs.hscale)
	})
}

// directionSteps divides the circle into 5° steps; text within one step
// shares a baseline direction.
const directionSteps = 72

// direction quantizes a glyph's baseline direction to a 5° step, 0 being
// left to right and 18 bottom to top (counterclockwise).
func direction(a, b float64) int {
	step := int(math.Round(math.Atan2(b, a) / (2 * math.Pi / directionSteps)))
	return (step%directionSteps + directionSteps) % directionSteps
}

// orient turns a device point into reading coordinates for direction dir:
// the point rotated back by the direction's angle.
func orient(x, y float64, dir int) (float64, float64) {
	switch dir {
	case 0:
		return x, y
	case directionSteps / 4:
		return y, -x
	case directionSteps / 2:
		return -x, -y
	case 3 * directionSteps / 4:
		return -y, x
	}
	phi := float64(dir) * 2 * math.Pi / directionSteps
	c, s := math.Cos(phi), math.Sin(phi)
	return x*c + y*s, -x*s + y*c
}

func (p *pdfPageRun) emit(text string, dx0, dy0, dx1, dy1, size float64, dir int) {
	if text == "" || math.IsNaN(dx0+dy0+dx1+dy1+size) || math.IsInf(dx0+dy0+dx1+dy1+size, 0) {
		return
	}
	text = cleanGlyphText(text)
	if text == "" {
		return
	}
	x0, y0 := orient(dx0, dy0, dir)
	x1, _ := orient(dx1, dy1, dir)
	if x1 < x0 {
		x1 = x0
	}
	if size < 0.5 {
		size = 0.5
	}
	if n := len(p.spans); n > 0 {
		s := &p.spans[n-1]
		if s.dir == dir && math.Abs(s.y-y0) < 0.2*size && math.Abs(s.size-size) < 0.3*size {
			gap := x0 - s.end
			if gap > -0.3*size && gap < 0.15*size {
				s.text = append(s.text, text...)
				s.end = math.Max(s.end, x1)
				return
			}
		}
	}
	if strings.TrimSpace(text) == "" {
		return
	}
	p.spans = append(p.spans, textSpan{x: x0, y: y0, end: x1, size: size, dir: dir, text: []byte(text)})
}

// ligatures spells out U+FB00-U+FB06 so searches for words match.
var ligatures = []string{"ff", "fi", "fl", "ffi", "ffl", "st", "st"}

// cleanGlyphText drops control characters and folds odd spaces.
func cleanGlyphText(t string) string {
	if len(t) == 1 && t[0] >= 0x20 && t[0] < 0x7f {
		return t
	}
	var b strings.Builder
	for _, r := range t {
		if r >= 0xfb00 && r <= 0xfb06 {
			b.WriteString(ligatures[r-0xfb00])
			continue
		}
		switch {
		case r == '\t' || r == 0xa0 || r == 0x2007 || r == 0x202f || (r >= 0x2000 && r <= 0x200a):
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x200b || r == 0xfeff || r == utf8.RuneError && t != "\ufffd":
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (p *pdfPageRun) xobject(n pdfName, res pdfDict, depth int) error {
	xobjs := p.f.dictOf(res["XObject"])
	s, ok := p.f.resolve(xobjs[n]).(*pdfStream)
	if !ok {
		return nil
	}
	switch p.f.resolve(s.hdr["Subtype"]) {
	case pdfName("Image"):
		p.images++
		x0, y0 := p.gs.ctm.apply(0, 0)
		x1, y1 := p.gs.ctm.apply(1, 1)
		if c := math.Abs((x1-x0)*(y1-y0)) / p.area; c > p.cover {
			p.cover = math.Min(c, 1)
		}
	case pdfName("Form"):
		if depth >= maxFormDepth || p.forms[s] {
			return nil
		}
		data, ok := p.f.formData[s]
		if !ok {
			var err error
			if data, err = p.f.decode(s); err != nil {
				data = nil
			}
			p.f.formData[s] = data
		}
		formRes := p.f.dictOf(s.hdr["Resources"])
		if formRes == nil {
			formRes = res
		}
		saved, savedStack := p.gs, len(p.stack)
		savedTm, savedTlm := p.tm, p.tlm
		if m, ok := p.f.resolve(s.hdr["Matrix"]).(pdfArray); ok && len(m) == 6 {
			var fm pdfMatrix
			for i := range fm {
				fm[i], _ = asFloat(p.f.resolve(m[i]))
			}
			p.gs.ctm = fm.mul(p.gs.ctm)
		}
		p.forms[s] = true
		err := p.run(data, formRes, depth+1)
		delete(p.forms, s)
		p.gs, p.stack = saved, p.stack[:min(savedStack, len(p.stack))]
		p.tm, p.tlm = savedTm, savedTlm
		return err
	}
	return nil
}

// inlineImage skips "BI ... ID <data> EI" and counts the image.
func (p *pdfPageRun) inlineImage(l *pdfLexer) {
	p.images++
	for {
		v, err := l.token(0)
		if err != nil {
			return
		}
		if v == pdfKeyword("ID") {
			break
		}
	}
	l.pos++
	for i := l.pos; i < len(l.b); {
		j := bytes.Index(l.b[i:], []byte("EI"))
		if j < 0 {
			l.pos = len(l.b)
			return
		}
		at := i + j
		if (at == 0 || isSpace(l.b[at-1])) && (at+2 == len(l.b) || isSpace(l.b[at+2])) {
			l.pos = at + 2
			return
		}
		i = at + 2
	}
}
