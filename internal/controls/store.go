package controls

import (
	"context"
	"errors"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// Store keeps the engine's own state: the folded facts and the last run,
// components people added, and uploaded attestation evidence. The evidence
// itself stays in the ledger; this is working state that can be rebuilt.
type Store interface {
	// ControlState returns a saved value, or ErrNotFound.
	ControlState(ctx context.Context, key string) ([]byte, error)
	PutControlState(ctx context.Context, key string, value []byte) error
	// Components lists the components people added.
	Components(ctx context.Context) ([]Component, error)
	PutComponent(ctx context.Context, c Component) error
	// DeleteComponent removes a component; it returns ErrNotFound if there
	// was none.
	DeleteComponent(ctx context.Context, id string) error
	// PutEvidence stores an uploaded file under its SHA-256; storing the
	// same file twice is not an error.
	PutEvidence(ctx context.Context, e Evidence) error
	// Evidence returns an uploaded file, or ErrNotFound.
	Evidence(ctx context.Context, sha256 string) (Evidence, error)
}

// Evidence is a file uploaded for a manual attestation. The ledger event
// commits to its SHA-256.
type Evidence struct {
	SHA256      string    `json:"sha256"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Data        []byte    `json:"-"`
	Size        int       `json:"size"`
	Uploaded    time.Time `json:"uploaded"`
	UploadedBy  string    `json:"uploaded_by"`
}

// ErrNotFound is returned by stores for missing state.
var ErrNotFound = errors.New("not found")

// LedgerReader is the part of the ledger store the engine reads: indexed
// queries, single entries by index, the head and checkpoints. ledger.Store
// implements it.
type LedgerReader interface {
	QueryLedger(ctx context.Context, q ledger.Query) ([]ledger.RawEntry, error)
	LedgerEntries(ctx context.Context, start uint64, n int) ([]ledger.RawEntry, error)
	LedgerHead(ctx context.Context) (uint64, tlog.Hash, error)
	LatestCheckpoint(ctx context.Context) (ledger.Checkpoint, error)
}

var _ LedgerReader = ledger.Store(nil)

// KeyLister lists API keys; access.Store implements it.
type KeyLister interface {
	Keys(ctx context.Context, tenant string) ([]access.Key, error)
}

var _ KeyLister = access.Store(nil)
