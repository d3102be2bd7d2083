package vendor

// This file writes small, valid PDF files for tests and benchmarks: text
// pages in Helvetica, optionally compressed, with the odd feature a test
// needs (a full-page image, a script, an attached file).

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// genOptions select optional features of the generated file.
type genOptions struct {
	// Compress deflates the content streams.
	Compress bool
	// ScannedPages makes these pages (1-based) a full-page image with no text.
	ScannedPages []int
	// JavaScript adds a document-open script.
	JavaScript bool
	// EmbeddedFile attaches a small file.
	EmbeddedFile bool
}

// buildPDF returns a PDF with one page per element of pages. Lines are split
// on "\n"; cells within a line are split on "\t" and placed in columns, the
// way report tables are drawn.
func buildPDF(pages []string, opt genOptions) []byte {
	w := &pdfWriter{}
	w.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	// Object numbers: 1 catalog, 2 page tree, 3 font, 4 image; then a page
	// and its content for each page; then optional objects.
	n := len(pages)
	pageNum := func(i int) int { return 5 + 2*i }
	next := 5 + 2*n
	catalogExtra := ""
	var extras []func()
	if opt.JavaScript {
		js := next
		next++
		catalogExtra += fmt.Sprintf(" /OpenAction %d 0 R", js)
		extras = append(extras, func() {
			w.obj(js, "<< /Type /Action /S /JavaScript /JS (app.alert\\('hello'\\);) >>")
		})
	}
	if opt.EmbeddedFile {
		ef, spec := next, next+1
		next += 2
		catalogExtra += fmt.Sprintf(" /Names << /EmbeddedFiles << /Names [(note.txt) %d 0 R] >> >>", spec)
		extras = append(extras, func() {
			w.stream(ef, "/Type /EmbeddedFile", []byte("attached"), false)
			w.obj(spec, fmt.Sprintf("<< /Type /Filespec /F (note.txt) /EF << /F %d 0 R >> >>", ef))
		})
	}
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R"+catalogExtra+" >>")
	kids := make([]string, n)
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", pageNum(i))
	}
	w.obj(2, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	w.obj(3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	w.stream(4, "/Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 8", bytes.Repeat([]byte{0x80}, 64), opt.Compress)
	scanned := map[int]bool{}
	for _, p := range opt.ScannedPages {
		scanned[p] = true
	}
	for i, text := range pages {
		p := pageNum(i)
		w.obj(p, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> /XObject << /Im1 4 0 R >> >> /Contents %d 0 R >>", p+1))
		var content []byte
		if scanned[i+1] {
			content = []byte("q 612 0 0 792 0 0 cm /Im1 Do Q\n")
		} else {
			content = genPageContent(text)
		}
		w.stream(p+1, "", content, opt.Compress)
	}
	for _, e := range extras {
		e()
	}
	w.finish(next)
	return w.buf.Bytes()
}

// genColumns are the x positions of table cells.
var genColumns = []int{72, 150, 330, 460}

func genPageContent(text string) []byte {
	var b bytes.Buffer
	b.WriteString("BT\n/F1 10 Tf\n")
	y := 750
	for line := range strings.SplitSeq(text, "\n") {
		if y < 40 {
			break
		}
		for c, cell := range strings.Split(line, "\t") {
			if cell == "" {
				continue
			}
			x := genColumns[min(c, len(genColumns)-1)]
			fmt.Fprintf(&b, "1 0 0 1 %d %d Tm (%s) Tj\n", x, y, genEscape(cell))
		}
		y -= 14
	}
	b.WriteString("ET\n")
	return b.Bytes()
}

// genEscape encodes s in WinAnsi and escapes it for a literal string.
func genEscape(s string) string {
	enc, err := charmap.Windows1252.NewEncoder().String(s)
	if err != nil {
		enc = s
	}
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	return r.Replace(enc)
}

type pdfWriter struct {
	buf  bytes.Buffer
	offs map[int]int
}

func (w *pdfWriter) obj(num int, body string) {
	if w.offs == nil {
		w.offs = map[int]int{}
	}
	w.offs[num] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", num, body)
}

func (w *pdfWriter) stream(num int, dict string, data []byte, compress bool) {
	if compress {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		data = z.Bytes()
		dict += " /Filter /FlateDecode"
	}
	if w.offs == nil {
		w.offs = map[int]int{}
	}
	w.offs[num] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< %s /Length %d >>\nstream\n", num, dict, len(data))
	w.buf.Write(data)
	w.buf.WriteString("\nendstream\nendobj\n")
}

func (w *pdfWriter) finish(size int) {
	xref := w.buf.Len()
	fmt.Fprintf(&w.buf, "xref\n0 %d\n0000000000 65535 f \n", size)
	for i := 1; i < size; i++ {
		fmt.Fprintf(&w.buf, "%010d 00000 n \n", w.offs[i])
	}
	fmt.Fprintf(&w.buf, "trailer\n<< /Size %d /Root 1 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] >>\nstartxref\n%d\n%%%%EOF\n", size, xref)
}
