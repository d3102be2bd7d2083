package ledger

import (
	"bytes"
	"errors"

	"golang.org/x/mod/sumdb/note"
)

// MergeSignatures appends signature lines to a signed note, leaving out
// each line by a key (name and key ID) that already signed it. Stores use
// it to add witness cosignatures to a checkpoint: the signed text and the
// signatures already there are kept byte for byte, so the log's own
// signature still verifies. Nothing is verified here; readers verify the
// signatures of the keys they trust.
func MergeSignatures(signed, sigs []byte) ([]byte, error) {
	have, err := unverifiedSigs(signed)
	if err != nil {
		return nil, errors.New("the stored checkpoint is not a signed note")
	}
	add, err := unverifiedSigs(append([]byte("-\n\n"), sigs...))
	if err != nil {
		return nil, errors.New("the cosignatures are not signature lines")
	}
	type keyID struct {
		name string
		hash uint32
	}
	seen := map[keyID]bool{}
	for _, s := range have {
		seen[keyID{s.Name, s.Hash}] = true
	}
	out := bytes.Clone(signed)
	for _, s := range add {
		if seen[keyID{s.Name, s.Hash}] {
			continue
		}
		seen[keyID{s.Name, s.Hash}] = true
		out = append(out, "— "+s.Name+" "+s.Base64+"\n"...)
	}
	return out, nil
}

// unverifiedSigs parses a note's signature lines without checking them.
func unverifiedSigs(msg []byte) ([]note.Signature, error) {
	_, err := note.Open(msg, nil)
	var u *note.UnverifiedNoteError
	if !errors.As(err, &u) {
		return nil, errors.New("not a signed note")
	}
	return u.Note.UnverifiedSigs, nil
}
