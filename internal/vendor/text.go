package vendor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// DefaultMaxFileBytes is the default size limit of one document.
const DefaultMaxFileBytes = 100 << 20

// Text sources.
const (
	SourcePDF       = "pdf"       // the built-in PDF reader
	SourcePDFToText = "pdftotext" // poppler's pdftotext, when installed
	SourcePlain     = "text"      // a text or Markdown file
)

// Text is a document's extracted text with what was learned reading it.
type Text struct {
	Pages      []string        `json:"-"`
	Source     string          `json:"source"`
	Encryption string          `json:"encryption,omitempty"`
	Repaired   bool            `json:"repaired,omitempty"`
	Active     []ActiveContent `json:"active,omitempty"`
	// ScannedPages counts pages that are an image without text.
	ScannedPages int `json:"scanned_pages,omitempty"`
	// FailedPages counts pages whose content could not be read.
	FailedPages int `json:"failed_pages,omitempty"`
}

// ErrTooLarge is returned for documents over the size limit.
var ErrTooLarge = errors.New("document is larger than the size limit")

// ErrUnknownFormat is returned for files that are neither PDF nor text.
var ErrUnknownFormat = errors.New("unsupported document format")

// Reader turns uploaded bytes into text. The zero value uses the defaults.
type Reader struct {
	// MaxFileBytes caps one document (default DefaultMaxFileBytes).
	MaxFileBytes int64
	// PDFToText is the pdftotext binary to fall back to. Empty means look
	// it up on PATH; "-" disables the fallback.
	PDFToText string
	// Progress, if set, reports pages read from a PDF.
	Progress func(name string, done, total int)
}

func (r *Reader) maxBytes() int64 {
	if r.MaxFileBytes > 0 {
		return r.MaxFileBytes
	}
	return DefaultMaxFileBytes
}

// Read extracts the text of one document. name is used only to recognise
// text and Markdown files by extension, and for progress reports. size is
// the file's full size when data was cut short at the limit, else 0.
func (r *Reader) Read(ctx context.Context, name string, data []byte, size int64) (*Text, Quality, error) {
	if size = max(size, int64(len(data))); size > r.maxBytes() {
		return nil, Quality{}, fmt.Errorf("%w: %s is %d bytes and the limit is %d; split the document or raise the limit", ErrTooLarge, filepath.Base(name), size, r.maxBytes())
	}
	if isPDF(data) {
		return r.readPDF(ctx, name, data)
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".txt", ".md", ".markdown", ".text", "":
		if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
			return nil, Quality{}, fmt.Errorf("%w: %s is not UTF-8 text; convert it or upload the PDF", ErrUnknownFormat, filepath.Base(name))
		}
		t := &Text{Pages: splitTextPages(string(data)), Source: SourcePlain}
		return t, assess(t), nil
	}
	return nil, Quality{}, fmt.Errorf("%w: %s is neither a PDF nor a text or Markdown file", ErrUnknownFormat, filepath.Base(name))
}

func isPDF(data []byte) bool {
	return bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-"))
}

// splitTextPages splits plain text on form feeds, which pdftotext and many
// converters put between pages.
func splitTextPages(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	pages := strings.Split(s, "\f")
	if len(pages) > 1 && strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1]
	}
	return pages
}

// readPDF uses the built-in reader and falls back to pdftotext when it fails
// or finds no usable text.
func (r *Reader) readPDF(ctx context.Context, name string, data []byte) (*Text, Quality, error) {
	var progress func(done, total int)
	if r.Progress != nil {
		progress = func(done, total int) { r.Progress(name, done, total) }
	}
	doc, err := ExtractPDF(ctx, data, PDFOptions{Progress: progress})
	if errors.Is(err, ErrPDFPassword) {
		return nil, Quality{}, fmt.Errorf("%w; ask the vendor for a copy without an open password", err)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, Quality{}, ctxErr
	}
	var t *Text
	var q Quality
	if err == nil {
		t = fromPDF(doc)
		q = assess(t)
		if !q.NeedsOCR && !q.Garbled {
			return t, q, nil
		}
	}
	if alt, altErr := r.pdftotext(ctx, data); altErr == nil {
		if t != nil {
			alt.Active, alt.Encryption = t.Active, t.Encryption
		}
		if aq := assess(alt); !aq.NeedsOCR && !aq.Garbled || t == nil {
			return alt, aq, nil
		}
	}
	if t == nil {
		return nil, Quality{}, fmt.Errorf("read PDF: %w", err)
	}
	return t, q, nil
}

func fromPDF(doc *PDFText) *Text {
	t := &Text{Source: SourcePDF, Encryption: doc.Encryption, Repaired: doc.Repaired, Active: doc.Active}
	for _, p := range doc.Pages {
		t.Pages = append(t.Pages, p.Text)
		if p.Failed {
			t.FailedPages++
		}
		if len(strings.TrimSpace(p.Text)) < 20 && p.Images > 0 && p.ImageCover > 0.5 {
			t.ScannedPages++
		}
	}
	return t
}
