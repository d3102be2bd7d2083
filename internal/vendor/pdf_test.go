package vendor

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func extractText(t *testing.T, data []byte) *PDFText {
	t.Helper()
	doc, err := ExtractPDF(context.Background(), data, PDFOptions{})
	if err != nil {
		t.Fatalf("ExtractPDF: %v", err)
	}
	return doc
}

func TestExtractPDFEncrypted(t *testing.T) {
	tests := []struct {
		file, cipher string
	}{
		{"enc-rc4-40.pdf", "RC4 40-bit"},
		{"enc-rc4-128.pdf", "RC4 128-bit"},
		{"enc-aes-128.pdf", "AES 128-bit"},
		{"enc-aes-128-cleartext-metadata.pdf", "AES 128-bit"},
		{"enc-aes-256.pdf", "AES 256-bit"},
		{"enc-aes-256-r5.pdf", "AES 256-bit"},
		{"enc-aes-256-objstm.pdf", "AES 256-bit"},
		{"objstm.pdf", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "pdf", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			doc := extractText(t, data)
			if doc.Encryption != tt.cipher {
				t.Errorf("Encryption = %q, want %q", doc.Encryption, tt.cipher)
			}
			if len(doc.Pages) != 2 {
				t.Fatalf("got %d pages, want 2", len(doc.Pages))
			}
			if got := doc.Pages[0].Text; got != "Encrypted fixture page one\nSOC 2 Type 2 report for Example Corp" {
				t.Errorf("page 1 = %q", got)
			}
			if got := doc.Pages[1].Text; !strings.Contains(got, "CC6.1") || !strings.Contains(got, "No exceptions noted.") {
				t.Errorf("page 2 = %q", got)
			}
		})
	}
}

func TestExtractPDFUserPassword(t *testing.T) {
	data, err := os.ReadFile("testdata/pdf/enc-user-password.pdf")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ExtractPDF(context.Background(), data, PDFOptions{})
	if !errors.Is(err, ErrPDFPassword) {
		t.Fatalf("err = %v, want ErrPDFPassword", err)
	}
}

func TestExtractPDFLayout(t *testing.T) {
	pages := []string{
		"Description of Tests of Controls and Results\n\nCC6.1\tLogical access is restricted.\tInspected user listings.\tNo exceptions noted.",
		"Straße – “quoted” © 2026",
	}
	for _, compress := range []bool{false, true} {
		doc := extractText(t, buildPDF(pages, genOptions{Compress: compress}))
		want := "Description of Tests of Controls and Results\n\n" +
			"CC6.1  Logical access is restricted.  Inspected user listings.  No exceptions noted."
		if got := squeezeColumns(doc.Pages[0].Text); got != want {
			t.Errorf("compress=%v page 1:\n got %q\nwant %q", compress, got, want)
		}
		if got := doc.Pages[1].Text; got != pages[1] {
			t.Errorf("compress=%v page 2 = %q, want %q", compress, got, pages[1])
		}
	}
}

// squeezeColumns shortens every column gap (two or more spaces) to two
// spaces, since the gap's width follows the page geometry.
func squeezeColumns(s string) string {
	return regexp.MustCompile(`  +`).ReplaceAllString(s, "  ")
}

func TestExtractPDFActiveContent(t *testing.T) {
	doc := extractText(t, buildPDF([]string{"hello"}, genOptions{JavaScript: true, EmbeddedFile: true}))
	kinds := map[string]bool{}
	for _, a := range doc.Active {
		kinds[a.Kind] = true
	}
	if !kinds[ActiveJavaScript] || !kinds[ActiveEmbeddedFile] {
		t.Fatalf("Active = %+v, want javascript and embedded_file", doc.Active)
	}
	if plain := extractText(t, buildPDF([]string{"hello"}, genOptions{})); len(plain.Active) != 0 {
		t.Fatalf("plain file reports active content %+v", plain.Active)
	}
}

func TestExtractPDFScannedPage(t *testing.T) {
	doc := extractText(t, buildPDF([]string{"text page", ""}, genOptions{ScannedPages: []int{2}}))
	p := doc.Pages[1]
	if p.Text != "" || p.Images != 1 || p.ImageCover < 0.99 {
		t.Fatalf("scanned page = %+v, want no text and one full-page image", p)
	}
	if doc.Pages[0].Images != 0 {
		t.Fatalf("text page reports images")
	}
}

func TestExtractPDFDamaged(t *testing.T) {
	good := buildPDF([]string{"first page text", "second page text"}, genOptions{})
	t.Run("broken xref offsets", func(t *testing.T) {
		bad := bytes.Replace(good, []byte("0000000"), []byte("0000009"), -1)
		doc := extractText(t, bad)
		if !doc.Repaired || doc.Pages[1].Text != "second page text" {
			t.Fatalf("Repaired=%v pages=%+v", doc.Repaired, doc.Pages)
		}
	})
	t.Run("offsets of pages wrong, catalog right", func(t *testing.T) {
		// Shift every object after the catalog and page tree without
		// updating the table.
		at := bytes.Index(good, []byte("3 0 obj"))
		bad := append(append(append([]byte{}, good[:at]...), "junk junk junk\n"...), good[at:]...)
		doc := extractText(t, bad)
		if !doc.Repaired || doc.Pages[0].Text != "first page text" {
			t.Fatalf("Repaired=%v pages=%+v", doc.Repaired, doc.Pages)
		}
	})
	t.Run("no xref at all", func(t *testing.T) {
		i := bytes.Index(good, []byte("xref"))
		doc := extractText(t, good[:i])
		if !doc.Repaired || len(doc.Pages) != 2 {
			t.Fatalf("Repaired=%v pages=%d", doc.Repaired, len(doc.Pages))
		}
	})
	t.Run("not a pdf", func(t *testing.T) {
		_, err := ExtractPDF(context.Background(), []byte("PK\x03\x04 this is a zip"), PDFOptions{})
		if !errors.Is(err, ErrNotPDF) {
			t.Fatalf("err = %v, want ErrNotPDF", err)
		}
	})
	t.Run("header only", func(t *testing.T) {
		_, err := ExtractPDF(context.Background(), []byte("%PDF-1.7\n"), PDFOptions{})
		if !errors.Is(err, ErrPDFCorrupt) {
			t.Fatalf("err = %v, want ErrPDFCorrupt", err)
		}
	})
	t.Run("every truncation", func(t *testing.T) {
		for n := 0; n < len(good); n += 7 {
			doc, err := ExtractPDF(context.Background(), good[:n], PDFOptions{})
			if err == nil && len(doc.Pages) == 0 {
				t.Fatalf("truncated at %d: no error and no pages", n)
			}
			if err != nil && !errors.Is(err, ErrPDFCorrupt) && !errors.Is(err, ErrNotPDF) {
				t.Fatalf("truncated at %d: unexpected error class %v", n, err)
			}
		}
	})
}

func TestExtractPDFDecompressionLimit(t *testing.T) {
	var content bytes.Buffer
	content.WriteString("BT /F1 10 Tf 72 700 Td (bomb) Tj ET\n")
	content.Write(bytes.Repeat([]byte(" "), 4<<20))
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(content.Bytes())
	zw.Close()
	w := &pdfWriter{}
	w.buf.WriteString("%PDF-1.7\n")
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	w.obj(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
	fmt.Fprintf(&w.buf, "")
	w.offs[4] = w.buf.Len()
	fmt.Fprintf(&w.buf, "4 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", z.Len())
	w.buf.Write(z.Bytes())
	w.buf.WriteString("\nendstream\nendobj\n")
	w.obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	w.finish(6)
	_, err := ExtractPDF(context.Background(), w.buf.Bytes(), PDFOptions{MaxStreamBytes: 1 << 20})
	if !errors.Is(err, ErrPDFUnsupported) {
		t.Fatalf("err = %v, want the size limit to stop decoding", err)
	}
	doc, err := ExtractPDF(context.Background(), w.buf.Bytes(), PDFOptions{})
	if err != nil || doc.Pages[0].Text != "bomb" {
		t.Fatalf("default limits: %v %+v", err, doc)
	}
}

// TestExtractPDFCompositeFont covers a Type 0 font with Identity-H codes,
// a ToUnicode map with a range, an array range and a ligature, and /W
// widths, as Word and most PDF printers write them.
func TestExtractPDFCompositeFont(t *testing.T) {
	tounicode := `/CIDInit /ProcSet findresource begin 12 dict begin begincmap
1 begincodespacerange <0000> <FFFF> endcodespacerange
2 beginbfchar <0003> <0020> <0010> <FB01> endbfchar
2 beginbfrange <0020> <0039> <0041> <0040> <0042> [<0053> <004F> <0043>] endbfrange
endcmap CMapName currentdict /CMap defineresource pop end end`
	// Codes 0040-0042 map through the array range to S, O and C; 0020-0039
	// through the incrementing range from A; 0010 is the fi ligature.
	content := "BT /F1 12 Tf 72 700 Td <00400041004200030027002e002e00030010002d0027> Tj 0 -20 Td [<0020> -250 <0021>] TJ ET"
	w := &pdfWriter{}
	w.buf.WriteString("%PDF-1.7\n")
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	w.obj(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
	w.stream(4, "", []byte(content), true)
	w.obj(5, "<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+Calibri /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>")
	w.obj(6, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+Calibri /DW 1000 /W [3 [226] 16 [500] 32 57 500 64 [600 600 600]] /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>")
	w.stream(7, "", []byte(tounicode), false)
	w.finish(8)
	doc := extractText(t, w.buf.Bytes())
	want := "SOC HOO fiNH\nA B"
	if got := doc.Pages[0].Text; got != want {
		t.Fatalf("text = %q, want %q", got, want)
	}
}

// TestExtractPDFRotated covers landscape test matrices, which Word exports
// as a rotated page with text drawn upwards, plus a watermark at an angle.
func TestExtractPDFRotated(t *testing.T) {
	content := "BT /F1 10 Tf 0 1 -1 0 100 100 Tm (CC6.1) Tj 0 1 -1 0 100 200 Tm (No exceptions noted.) Tj " +
		"0 1 -1 0 114 100 Tm (CC6.2) Tj 0 1 -1 0 114 200 Tm (Exception noted.) Tj ET " +
		"BT /F1 30 Tf 0.7 0.7 -0.7 0.7 300 300 Tm (DRAFT) Tj ET"
	w := &pdfWriter{}
	w.buf.WriteString("%PDF-1.7\n")
	w.obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	w.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	w.obj(3, "<< /Type /Page /Parent 2 0 R /Rotate 90 /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
	w.stream(4, "", []byte(content), false)
	w.obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	w.finish(6)
	doc := extractText(t, w.buf.Bytes())
	want := "CC6.1  No exceptions noted.\nCC6.2  Exception noted.\n\nDRAFT"
	if got := squeezeColumns(doc.Pages[0].Text); got != want {
		t.Fatalf("text = %q, want %q", got, want)
	}
}

func TestExtractPDFSamples(t *testing.T) {
	dir := sharedVendorData(t)
	tests := []struct {
		file  string
		pages int
		page  int
		want  []string
	}{
		{"consensus/vendor-b-soc2.pdf", 31, 1, []string{
			"SOC 2 Type II Report — Independent Service Auditor's Report",
			"Review period: 1 January 2026 through 31 December 2026. Report issued 12 February 2026 by Ashgrove &",
		}},
		{"consensus/vendor-b-soc2.pdf", 31, 31, []string{"A1.1        Capacity alerting        Exception — 47 day gap"}},
		{"trust-ledger/mock_section_style.pdf", 5, 5, []string{"1. Enforcing multi-factor authentication for all users who access the Lumenvault"}},
		{"consensus/vendor-a-dpa.pdf", 21, 1, []string{"Data Processing Agreement"}},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(filepath.Join(dir, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		doc := extractText(t, data)
		if len(doc.Pages) != tt.pages {
			t.Fatalf("%s: %d pages, want %d", tt.file, len(doc.Pages), tt.pages)
		}
		for _, w := range tt.want {
			if !strings.Contains(doc.Pages[tt.page-1].Text, w) {
				t.Errorf("%s page %d lacks %q; got:\n%s", tt.file, tt.page, w, doc.Pages[tt.page-1].Text)
			}
		}
	}
}

func TestExtractPDFCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ExtractPDF(ctx, buildPDF([]string{"a", "b"}, genOptions{}), PDFOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestExtractPDFProgress(t *testing.T) {
	var calls []string
	_, err := ExtractPDF(context.Background(), buildPDF([]string{"a", "b", "c"}, genOptions{}), PDFOptions{
		Progress: func(done, total int) { calls = append(calls, fmt.Sprintf("%d/%d", done, total)) },
	})
	if err != nil || strings.Join(calls, " ") != "1/3 2/3 3/3" {
		t.Fatalf("progress calls %v, err %v", calls, err)
	}
}

func FuzzExtractPDF(f *testing.F) {
	f.Add(buildPDF([]string{"Fuzz seed\tcolumn"}, genOptions{}))
	f.Add(buildPDF([]string{"Compressed seed"}, genOptions{Compress: true, JavaScript: true, EmbeddedFile: true}))
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj trailer << /Root 1 0 R >> %%EOF"))
	f.Add([]byte("%PDF-1.4\n1 0 obj <</Length 99999999>> stream\nxx\nendstream endobj"))
	for _, name := range []string{"enc-rc4-40.pdf", "enc-aes-256-objstm.pdf", "objstm.pdf"} {
		if data, err := os.ReadFile(filepath.Join("testdata", "pdf", name)); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ExtractPDF(context.Background(), data, PDFOptions{MaxStreamBytes: 1 << 20, MaxDecodedBytes: 8 << 20})
		if err == nil && len(doc.Pages) == 0 {
			t.Fatal("no error and no pages")
		}
	})
}
