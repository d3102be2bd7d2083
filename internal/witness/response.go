package witness

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
)

// sizeContentType is the media type of a 409 answer's body.
const sizeContentType = "text/x.tlog.size"

// maxSignatures bounds the signature lines of one witness answer.
const maxSignatures = 16

// ParseSize decodes the body of a 409 answer: the size of the checkpoint
// the witness last cosigned, in decimal, and a newline.
func ParseSize(b []byte) (uint64, error) {
	num, ok := bytes.CutSuffix(b, []byte("\n"))
	if !ok {
		return 0, errors.New("the size is not followed by a newline")
	}
	return parseDecimal(num)
}

// ParseSignatures decodes note signature lines, each an em dash, a space,
// the key name, a space, base64 of the key ID and signature, and a newline.
func ParseSignatures(b []byte) ([]note.Signature, error) {
	if len(b) == 0 {
		return nil, errors.New("no signature lines")
	}
	if b[len(b)-1] != '\n' {
		return nil, errors.New("the last signature line does not end in a newline")
	}
	var sigs []note.Signature
	for rest := b; len(rest) > 0; {
		line, next, _ := bytes.Cut(rest, []byte("\n"))
		rest = next
		if len(sigs) == maxSignatures {
			return nil, fmt.Errorf("more than %d signature lines", maxSignatures)
		}
		s, err := parseSignature(string(line))
		if err != nil {
			return nil, fmt.Errorf("signature line %d: %w", len(sigs)+1, err)
		}
		sigs = append(sigs, s)
	}
	return sigs, nil
}

func parseSignature(line string) (note.Signature, error) {
	rest, ok := strings.CutPrefix(line, "— ")
	if !ok {
		return note.Signature{}, errors.New("does not start with an em dash and a space")
	}
	name, b64, ok := strings.Cut(rest, " ")
	if !ok || !validName(name) {
		return note.Signature{}, errors.New("has no valid key name")
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || len(raw) < 5 {
		return note.Signature{}, errors.New("is not base64 of a key ID and a signature")
	}
	return note.Signature{Name: name, Hash: uint32(raw[0])<<24 | uint32(raw[1])<<16 | uint32(raw[2])<<8 | uint32(raw[3]), Base64: b64}, nil
}

// validName is the signed-note rule for key names.
func validName(name string) bool {
	return name != "" && utf8.ValidString(name) && strings.IndexFunc(name, unicode.IsSpace) < 0 && !strings.Contains(name, "+")
}

// cosignature checks a witness's 200 answer to a submission of the
// checkpoint whose note text is text, and returns the one signature line
// of the witness's key. Lines by other keys are ignored; a line by the
// witness's key that does not verify, or carries no timestamp, fails the
// answer.
func cosignature(text []byte, body []byte, v note.Verifier) ([]byte, error) {
	if _, err := ParseSignatures(body); err != nil {
		return nil, err
	}
	msg := make([]byte, 0, len(text)+1+len(body))
	msg = append(append(append(msg, text...), '\n'), body...)
	n, err := note.Open(msg, note.VerifierList(v))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		return nil, fmt.Errorf("the answer has no signature by the configured key %s+%08x", v.Name(), v.KeyHash())
	case errors.As(err, &invalid):
		return nil, fmt.Errorf("the cosignature by %s does not verify", v.Name())
	case err != nil:
		return nil, err
	}
	s := n.Sigs[0]
	if t, err := fnote.CoSigV1Timestamp(s); err != nil || t.Unix() == 0 {
		return nil, errors.New("the cosignature carries no timestamp")
	}
	return []byte("— " + s.Name + " " + s.Base64 + "\n"), nil
}
