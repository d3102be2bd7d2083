package witness

import (
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// Count opens a signed checkpoint with the log's verifier key and the
// witnesses' keys and returns how many of the witnesses validly cosigned
// it. Signatures by other keys are ignored. It fails if the log's own
// signature is missing or invalid, or if a signature by a configured
// witness does not verify: such a note is malformed and counts nothing.
func Count(signed []byte, logKey string, witnesses []note.Verifier) (int, error) {
	lv, err := note.NewVerifier(logKey)
	if err != nil {
		return 0, fmt.Errorf("log verifier key: %w", err)
	}
	n, err := note.Open(signed, note.VerifierList(append([]note.Verifier{lv}, witnesses...)...))
	if err != nil {
		var inv *note.InvalidSignatureError
		if errors.As(err, &inv) {
			return 0, fmt.Errorf("the signature by %s does not verify", inv.Name)
		}
		return 0, fmt.Errorf("open checkpoint: %w", err)
	}
	logSigned, count := false, 0
	for _, s := range n.Sigs {
		if s.Name == lv.Name() && s.Hash == lv.KeyHash() {
			logSigned = true
			continue
		}
		// Open keeps one signature per key, so each witness counts once.
		count++
	}
	if !logSigned {
		return 0, errors.New("the checkpoint is not signed by the log's key")
	}
	return count, nil
}
