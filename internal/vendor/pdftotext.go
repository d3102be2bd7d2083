package vendor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// pdftotext limits: a stuck or runaway converter must not hold a review.
const (
	pdftotextTimeout  = 2 * time.Minute
	pdftotextMaxBytes = 64 << 20
)

var errNoPDFToText = errors.New("pdftotext is not available")

// pdftotext runs poppler's pdftotext in layout mode on data. The file is
// written to a private temporary file because pdftotext reads from a path.
func (r *Reader) pdftotext(ctx context.Context, data []byte) (*Text, error) {
	bin := r.PDFToText
	switch bin {
	case "-":
		return nil, errNoPDFToText
	case "":
		p, err := exec.LookPath("pdftotext")
		if err != nil {
			return nil, errNoPDFToText
		}
		bin = p
	}
	tmp, err := os.CreateTemp("", "attest-vendor-*.pdf")
	if err != nil {
		return nil, fmt.Errorf("pdftotext: temporary file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("pdftotext: temporary file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("pdftotext: temporary file: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, pdftotextTimeout)
	defer cancel()
	out := &cappedBuffer{max: pdftotextMaxBytes}
	cmd := exec.CommandContext(ctx, bin, "-layout", "-enc", "UTF-8", "-q", tmp.Name(), "-")
	cmd.Stdout = out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("pdftotext: %w", err)
	}
	return &Text{Pages: splitTextPages(out.String()), Source: SourcePDFToText}, nil
}

// cappedBuffer fails writes beyond max bytes.
type cappedBuffer struct {
	bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, errors.New("output exceeds the size limit")
	}
	return b.Buffer.Write(p)
}
