package vendor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Document statuses.
const (
	DocOK                  = "ok"
	DocNeedsOCR            = "needs_ocr"
	DocUnsupportedLanguage = "unsupported_language"
	DocUnreadable          = "unreadable"
)

// DocumentResult is what a review learned from one document.
type DocumentResult struct {
	Name string `json:"name"`
	// Digest is "sha256:" and the hex SHA-256 of the file's bytes.
	Digest       string      `json:"digest"`
	Size         int64       `json:"size"`
	Pages        int         `json:"pages"`
	Kind         Kind        `json:"kind"`
	KindEvidence *Field      `json:"kind_evidence,omitempty"`
	Status       string      `json:"status"`
	Problem      string      `json:"problem,omitempty"`
	Text         *Text       `json:"text,omitempty"`
	Quality      Quality     `json:"quality"`
	Fields       *Extraction `json:"fields,omitempty"`
	// RedFlags lists the codes of the red flags this document raised.
	RedFlags []string `json:"red_flags,omitempty"`
}

// Digest returns the "sha256:<hex>" digest of data.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// analyzeDocument reads, classifies and extracts one document. Problems
// with the file become a status and a message, never a failed review, and
// a bug tripped by a strange file is caught rather than crashing.
func analyzeDocument(ctx context.Context, r *Reader, in Input) (res DocumentResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			res.Status, res.Fields = DocUnreadable, nil
			res.Problem = fmt.Sprintf("attest failed while analysing this document (%v); review it by hand and report the problem", p)
			err = nil
		}
	}()
	res = DocumentResult{Name: in.Name, Digest: in.Digest, Size: max(in.Size, int64(len(in.Data))), Kind: KindOther}
	if res.Digest == "" {
		res.Digest = Digest(in.Data)
	}
	t, q, readErr := r.Read(ctx, in.Name, in.Data, in.Size)
	if readErr != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return res, ctxErr
		}
		res.Status, res.Problem = DocUnreadable, readErr.Error()
		return res, nil
	}
	res.Text, res.Quality, res.Pages = t, q, len(t.Pages)
	switch {
	case q.NeedsOCR:
		res.Status, res.Problem = DocNeedsOCR, q.Reason+"; run OCR or ask the vendor for a text PDF"
		return res, nil
	case q.Language != "" && q.Language != "en":
		lang := languageNames[q.Language]
		res.Status, res.Problem = DocUnsupportedLanguage, fmt.Sprintf("the document is in %s; only English reports are analysed, so ask for an English version or review it by hand", lang)
		return res, nil
	}
	res.Status = DocOK
	d := newTextDoc(t.Pages)
	c := classify(d)
	res.Kind, res.KindEvidence = c.kind, c.evidence
	res.Fields = extract(d, c.kind)
	return res, nil
}
