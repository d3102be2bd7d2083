package ledger

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// InclusionClaim is the JSON the API returns for an inclusion proof. Anyone
// holding the verifier key can check it without trusting the server.
type InclusionClaim struct {
	Index      uint64   `json:"index"`
	Size       uint64   `json:"size"`
	LeafHash   string   `json:"leaf_hash"`
	Hashes     []string `json:"hashes"`
	Checkpoint string   `json:"checkpoint"`
}

// maxProofHashes bounds a proof: a tree of 2^64 leaves needs at most 64.
const maxProofHashes = 64

// ParseInclusionClaim decodes an inclusion proof response.
func ParseInclusionClaim(b []byte) (InclusionClaim, error) {
	var c InclusionClaim
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("inclusion proof is not valid JSON: %w", err)
	}
	if len(c.Hashes) > maxProofHashes {
		return c, fmt.Errorf("inclusion proof has %d hashes, at most %d are possible", len(c.Hashes), maxProofHashes)
	}
	if c.Index >= c.Size {
		return c, fmt.Errorf("index %d is not inside a tree of size %d", c.Index, c.Size)
	}
	return c, nil
}

func decodeHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		return h, errors.New("hash must be 32 bytes in standard base64")
	}
	copy(h[:], b)
	return h, nil
}

// Verify checks the claim: the checkpoint is signed by vkey, covers Size,
// and the proof links entry data (if given) or the claimed leaf hash to its
// root.
func (c InclusionClaim) Verify(vkey string, entry []byte) error {
	size, root, err := OpenCheckpoint([]byte(c.Checkpoint), vkey)
	if err != nil {
		return err
	}
	if size != c.Size {
		return fmt.Errorf("proof is for size %d but the checkpoint signs size %d", c.Size, size)
	}
	leaf, err := decodeHash(c.LeafHash)
	if err != nil {
		return fmt.Errorf("leaf_hash: %w", err)
	}
	if entry != nil && tlog.RecordHash(entry) != leaf {
		return errors.New("the entry does not hash to the claimed leaf hash")
	}
	p := make(tlog.RecordProof, len(c.Hashes))
	for i, s := range c.Hashes {
		if p[i], err = decodeHash(s); err != nil {
			return fmt.Errorf("hashes[%d]: %w", i, err)
		}
	}
	if err := tlog.CheckRecord(p, int64(c.Size), root, int64(c.Index), leaf); err != nil {
		return fmt.Errorf("inclusion proof does not verify: %w", err)
	}
	return nil
}
