// Package pdftext extracts the text of PDF documents, page by page, in pure
// Go. It is written for vendor security reports: it reads files encrypted
// with an empty user password (RC4, AES-128 and AES-256), rebuilds damaged
// cross-reference tables, reports scripts and attached files without
// running them, and lays text out like "pdftotext -layout" so table
// columns stay apart.
//
// Every input is treated as hostile: nesting, decompression, page count and
// operator count are bounded, and a panic anywhere becomes an error.
package pdftext

import (
	"context"
	"errors"
	"fmt"
)

// Errors callers can test for with errors.Is.
var (
	ErrNotPDF      = errors.New("not a PDF file")
	ErrCorrupt     = errors.New("the PDF is damaged")
	ErrPassword    = errors.New("the PDF needs a password to open")
	ErrUnsupported = errors.New("the PDF uses a feature that is not supported")
)

// Options bound the work Extract may do. Zero values take the defaults.
type Options struct {
	// MaxStreamBytes caps one decompressed stream (default 64 MiB).
	MaxStreamBytes int
	// MaxDecodedBytes caps all decompressed data of a document
	// (default 512 MiB).
	MaxDecodedBytes int
	// Progress, if set, is called after each page.
	Progress func(done, total int)
}

// Document is the extracted text of a PDF.
type Document struct {
	Pages []Page `json:"pages"`
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

// Page is the text of one page.
type Page struct {
	Text string `json:"text"`
	// Images counts images drawn on the page and ImageCover is the largest
	// fraction of the page one of them covers; a page that is one big image
	// with no text is a scan.
	Images     int     `json:"images,omitempty"`
	ImageCover float64 `json:"image_cover,omitempty"`
	// Failed is true when the page's content could not be read.
	Failed bool `json:"failed,omitempty"`
}

// Extract reads the text of every page of the PDF in data.
func Extract(ctx context.Context, data []byte, opt Options) (doc *Document, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc = nil
			err = fmt.Errorf("%w: the reader failed on this file (%v); try another export of the document", ErrCorrupt, r)
		}
	}()
	if opt.MaxStreamBytes <= 0 {
		opt.MaxStreamBytes = 64 << 20
	}
	if opt.MaxDecodedBytes <= 0 {
		opt.MaxDecodedBytes = 512 << 20
	}
	b := &budget{perStream: opt.MaxStreamBytes, left: opt.MaxDecodedBytes}
	f, err := open(data, b)
	if err != nil {
		return nil, err
	}
	doc = &Document{Repaired: f.repaired}
	if f.crypt != nil {
		doc.Encryption = f.crypt.description
	}
	infos := f.pages()
	if len(infos) == 0 {
		return nil, fmt.Errorf("%w: the document has no pages", ErrCorrupt)
	}
	fonts := map[ref]*font{}
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
				return nil, fmt.Errorf("%w: page %d holds more compressed data than the limit allows", ErrUnsupported, i+1)
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
		return nil, fmt.Errorf("%w: none of the %d pages could be read", ErrCorrupt, len(infos))
	}
	doc.Active = f.activeContent()
	return doc, nil
}

// extractPage reads one page; a panic on a bad page marks that page failed
// and leaves the others readable.
func extractPage(ctx context.Context, f *file, fonts map[ref]*font, pi pageInfo) (p Page, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: unreadable page", ErrCorrupt)
		}
	}()
	content, err := f.contents(pi.d)
	if err != nil {
		return Page{}, err
	}
	run := newPageRun(ctx, f, fonts, pi.box)
	err = run.run(content, pi.res, 0)
	p = Page{Text: layout(run.spans), Images: run.images, ImageCover: run.cover}
	if err != nil && !errors.Is(err, errPageTooComplex) {
		return p, err
	}
	return p, nil
}
