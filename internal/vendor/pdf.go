package vendor

// The pdf*.go files extract the text of PDF documents, page by page, in
// pure Go. They are written for vendor security reports: they read files
// encrypted with an empty user password (RC4, AES-128 and AES-256),
// rebuild damaged cross-reference tables, report scripts and attached
// files without running them, and lay text out like "pdftotext -layout" so
// table columns stay apart.
//
// Every input is treated as hostile: nesting, decompression, page count and
// operator count are bounded, and a panic anywhere becomes an error.

import (
	"context"
	"errors"
	"fmt"
)

// Errors of ExtractPDF that callers can test for with errors.Is.
var (
	ErrNotPDF         = errors.New("not a PDF file")
	ErrPDFCorrupt     = errors.New("the PDF is damaged")
	ErrPDFPassword    = errors.New("the PDF needs a password to open")
	ErrPDFUnsupported = errors.New("the PDF uses a feature that is not supported")
)

// PDFOptions bound the work ExtractPDF may do. Zero values take the
// defaults.
type PDFOptions struct {
	// MaxStreamBytes caps one decompressed stream (default 64 MiB).
	MaxStreamBytes int
	// MaxDecodedBytes caps all decompressed data of a document
	// (default 512 MiB).
	MaxDecodedBytes int
	// Progress, if set, is called after each page.
	Progress func(done, total int)
}

// PDFText is the extracted text of a PDF.
type PDFText struct {
	Pages []PDFPage `json:"pages"`
	// Encryption names the cipher when the file was encrypted, for example
	// "AES 256-bit"; it is empty otherwise.
	Encryption string `json:"encryption,omitempty"`
	// Repaired is true when the cross-reference table was broken and had to
	// be rebuilt by scanning the file.
	Repaired bool `json:"repaired,omitempty"`
	// Active lists scripts, attached files and similar content found in the
	// file. None of it is ever executed or extracted.
	Active []ActiveContent `json:"active,omitempty"`
}

// PDFPage is the text of one page.
type PDFPage struct {
	Text string `json:"text"`
	// Images counts images drawn on the page and ImageCover is the largest
	// fraction of the page one of them covers; a page that is one big image
	// with no text is a scan.
	Images     int     `json:"images,omitempty"`
	ImageCover float64 `json:"image_cover,omitempty"`
	// Failed is true when the page's content could not be read.
	Failed bool `json:"failed,omitempty"`
}

// ExtractPDF reads the text of every page of the PDF in data.
func ExtractPDF(ctx context.Context, data []byte, opt PDFOptions) (doc *PDFText, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc = nil
			err = fmt.Errorf("%w: the reader failed on this file (%v); try another export of the document", ErrPDFCorrupt, r)
		}
	}()
	if opt.MaxStreamBytes <= 0 {
		opt.MaxStreamBytes = 64 << 20
	}
	if opt.MaxDecodedBytes <= 0 {
		opt.MaxDecodedBytes = 512 << 20
	}
	b := &decodeBudget{perStream: opt.MaxStreamBytes, left: opt.MaxDecodedBytes}
	f, err := openPDF(data, b)
	if err != nil {
		return nil, err
	}
	doc, err = extractAll(ctx, f, opt)
	if err != nil && errors.Is(err, ErrPDFCorrupt) && !f.repaired && ctx.Err() == nil {
		// The cross-reference table looked fine but points at the wrong
		// places; scan the file as for a damaged one and try again.
		if f.repair() == nil {
			if again, err2 := extractAll(ctx, f, opt); err2 == nil {
				return again, nil
			}
		}
	}
	return doc, err
}

// extractAll reads every page of an opened file.
func extractAll(ctx context.Context, f *pdfFile, opt PDFOptions) (*PDFText, error) {
	doc := &PDFText{Repaired: f.repaired}
	if f.crypt != nil {
		doc.Encryption = f.crypt.description
	}
	infos := f.pages()
	if len(infos) == 0 {
		return nil, fmt.Errorf("%w: the document has no pages", ErrPDFCorrupt)
	}
	fonts := map[any]*pdfFont{}
	failed := 0
	for i, pi := range infos {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := extractPage(ctx, f, fonts, pi)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, ctxErr
			}
			if errors.Is(err, errTooLarge) {
				return nil, fmt.Errorf("%w: page %d holds more compressed data than the limit allows", ErrPDFUnsupported, i+1)
			}
			if errors.Is(err, errDocTooComplex) {
				return nil, fmt.Errorf("%w: the document draws more than %d operations, beyond the processing limit", ErrPDFUnsupported, maxOpsPerDocument)
			}
			p.Failed = true
			failed++
		}
		doc.Pages = append(doc.Pages, p)
		if opt.Progress != nil {
			opt.Progress(i+1, len(infos))
		}
	}
	if failed == len(infos) {
		return nil, fmt.Errorf("%w: none of the %d pages could be read", ErrPDFCorrupt, len(infos))
	}
	doc.Active = f.activeContent()
	return doc, nil
}

// extractPage reads one page; a panic on a bad page marks that page failed
// and leaves the others readable.
func extractPage(ctx context.Context, f *pdfFile, fonts map[any]*pdfFont, pi pageInfo) (p PDFPage, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: unreadable page", ErrPDFCorrupt)
		}
	}()
	content, err := f.contents(pi.d)
	if err != nil {
		return PDFPage{}, err
	}
	run := newPDFPageRun(ctx, f, fonts, pi.box)
	err = run.run(content, pi.res, 0)
	p = PDFPage{Text: layoutSpans(run.spans), Images: run.images, ImageCover: run.cover}
	if err != nil && !errors.Is(err, errPageTooComplex) {
		return p, err
	}
	return p, nil
}
