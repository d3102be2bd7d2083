package witness

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"
)

// maxProofLines is the longest consistency proof a request may carry.
const maxProofLines = 63

// maxBody bounds request and response bodies. A checkpoint with a few
// ML-DSA-44 signatures and a full proof fits many times over.
const maxBody = 64 << 10

// Request is an add-checkpoint request: the size the client believes the
// witness last cosigned, a consistency proof from that size to the
// checkpoint's, and the signed checkpoint.
type Request struct {
	OldSize    uint64
	Proof      []tlog.Hash
	Checkpoint []byte
}

// Marshal encodes r as an add-checkpoint body.
func (r Request) Marshal() []byte {
	b := make([]byte, 0, 32+len(r.Proof)*45+len(r.Checkpoint))
	b = append(b, "old "...)
	b = strconv.AppendUint(b, r.OldSize, 10)
	b = append(b, '\n')
	for _, h := range r.Proof {
		b = base64.StdEncoding.AppendEncode(b, h[:])
		b = append(b, '\n')
	}
	b = append(b, '\n')
	return append(b, r.Checkpoint...)
}

// ParseRequest decodes an add-checkpoint body. It checks the framing only;
// the checkpoint's signature and the proof are the server's to verify.
func ParseRequest(b []byte) (Request, error) {
	var r Request
	line, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return r, errors.New("the body has no old size line")
	}
	num, ok := bytes.CutPrefix(line, []byte("old "))
	if !ok {
		return r, errors.New(`the first line must be "old <size>"`)
	}
	size, err := parseDecimal(num)
	if err != nil {
		return r, fmt.Errorf("old size: %w", err)
	}
	r.OldSize = size
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return r, errors.New("the proof is not followed by an empty line")
		}
		if len(line) == 0 {
			break
		}
		if len(r.Proof) == maxProofLines {
			return r, fmt.Errorf("more than %d consistency proof lines", maxProofLines)
		}
		h, err := decodeHash(line)
		if err != nil {
			return r, fmt.Errorf("proof line %d: %w", len(r.Proof)+1, err)
		}
		r.Proof = append(r.Proof, h)
	}
	if len(rest) == 0 {
		return r, errors.New("the body has no checkpoint")
	}
	r.Checkpoint = rest
	return r, nil
}

// parseDecimal reads a tree size: ASCII digits with no sign and no leading
// zero, so that every size has exactly one encoding.
func parseDecimal(b []byte) (uint64, error) {
	if len(b) == 0 || len(b) > 20 || (b[0] == '0' && len(b) > 1) {
		return 0, fmt.Errorf("%q is not a decimal size", b)
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a decimal size", b)
		}
	}
	return strconv.ParseUint(string(b), 10, 64)
}

func decodeHash(b []byte) (tlog.Hash, error) {
	var h tlog.Hash
	// 44 characters decode to up to 33 bytes; the padding must leave 32.
	var buf [tlog.HashSize + 1]byte
	if len(b) != base64.StdEncoding.EncodedLen(tlog.HashSize) {
		return h, errors.New("not a 32-byte hash in standard base64")
	}
	if n, err := base64.StdEncoding.Strict().Decode(buf[:], b); err != nil || n != tlog.HashSize {
		return h, errors.New("not a 32-byte hash in standard base64")
	}
	copy(h[:], buf[:])
	return h, nil
}
