package ledger

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// KeyFile is the checkpoint signing key's file name in the data directory.
const KeyFile = "ledger.key"

// KeyPair is the checkpoint signing key and its public verifier key in
// signed-note form (name+hash+base64).
type KeyPair struct {
	Signer      note.Signer
	VerifierKey string
}

// ParseKey reads a signed-note private key ("PRIVATE+KEY+name+hash+b64").
func ParseKey(skey string) (*KeyPair, error) {
	skey = strings.TrimSpace(skey)
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("parse ledger key: %w", err)
	}
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, err
	}
	return &KeyPair{Signer: signer, VerifierKey: vkey}, nil
}

// LoadOrCreateKey reads the Ed25519 note signing key from dir, creating it
// with mode 0600 on first start.
func LoadOrCreateKey(dir, origin string) (*KeyPair, error) {
	signer, vkey, err := loadOrCreateKey(dir, origin)
	if err != nil {
		return nil, err
	}
	return &KeyPair{Signer: signer, VerifierKey: vkey}, nil
}

func loadOrCreateKey(dir, origin string) (note.Signer, string, error) {
	path := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		skey, _, gerr := note.GenerateKey(rand.Reader, origin)
		if gerr != nil {
			return nil, "", fmt.Errorf("generate ledger key: %w", gerr)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, "", fmt.Errorf("create data directory: %w", err)
		}
		f, ferr := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if ferr != nil {
			return nil, "", fmt.Errorf("create ledger key: %w", ferr)
		}
		if _, err := f.WriteString(skey + "\n"); err != nil {
			f.Close()
			return nil, "", fmt.Errorf("write ledger key: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, "", fmt.Errorf("sync ledger key: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, "", fmt.Errorf("close ledger key: %w", err)
		}
		b = []byte(skey)
	} else if err != nil {
		return nil, "", fmt.Errorf("read ledger key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, "", fmt.Errorf("ledger key %s is readable by others (mode %v); run 'chmod 600 %s'", path, fi.Mode().Perm(), path)
	}
	skey := strings.TrimSpace(string(b))
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, "", fmt.Errorf("parse ledger key %s: %w", path, err)
	}
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, "", err
	}
	return signer, vkey, nil
}

// verifierKey derives "name+hash+base64" from "PRIVATE+KEY+name+hash+base64".
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("ledger key is not a signed-note private key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 33 || raw[0] != 1 {
		return "", errors.New("ledger key is not an Ed25519 signed-note key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// FormatCheckpoint is the C2SP tlog-checkpoint body: origin, size, root.
func FormatCheckpoint(origin string, size uint64, root tlog.Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
}

// SignCheckpoint signs a checkpoint body as a signed note.
func SignCheckpoint(s note.Signer, origin string, size uint64, root tlog.Hash) ([]byte, error) {
	return note.Sign(&note.Note{Text: FormatCheckpoint(origin, size, root)}, s)
}

// OpenCheckpoint verifies a signed checkpoint against a verifier key and
// returns its size and root. The origin must equal the key's name.
func OpenCheckpoint(signed []byte, vkey string) (uint64, tlog.Hash, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return 0, tlog.Hash{}, fmt.Errorf("parse verifier key: %w", err)
	}
	cp, _, _, err := log.ParseCheckpoint(signed, v.Name(), v)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if _, nerr := note.Open(signed, note.VerifierList(v)); errors.As(nerr, &unverified) {
			// Well formed but signed by another key: most often the wrong
			// key was given, rather than a forged checkpoint.
			return 0, tlog.Hash{}, fmt.Errorf("checkpoint: no signature by key %s verifies it: if this is the wrong key, pass the one 'attest ledger key' prints on the log's host; otherwise the checkpoint is not this log's: %w", v.Name(), nerr)
		}
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint: %w", err)
	}
	if len(cp.Hash) != tlog.HashSize {
		return 0, tlog.Hash{}, fmt.Errorf("checkpoint root hash has %d bytes, want 32", len(cp.Hash))
	}
	var h tlog.Hash
	copy(h[:], cp.Hash)
	return cp.Size, h, nil
}

// Signer publishes checkpoints for a Log.
type Signer struct {
	log    *Log
	signer note.Signer
	origin string
	notify func(Checkpoint)
}

// NewSigner pairs a log with its checkpoint key. The origin line is the
// key's name, so verifiers can match checkpoints to keys.
func NewSigner(l *Log, s note.Signer) *Signer {
	return &Signer{log: l, signer: s, origin: s.Name()}
}

// Origin is the checkpoint origin line.
func (s *Signer) Origin() string { return s.origin }

// OnPublish has f told of every checkpoint that Publish newly stores, such
// as to ask witnesses to cosign it. f runs on the publishing goroutine and
// must return at once. Set it before the first Publish.
func (s *Signer) OnPublish(f func(Checkpoint)) { s.notify = f }

// Publish signs and stores a checkpoint for the committed head, unless the
// newest checkpoint already covers it.
func (s *Signer) Publish(ctx context.Context) (Checkpoint, error) {
	size, root, err := s.log.st.LedgerHead(ctx)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("read head: %w", err)
	}
	latest, err := s.log.st.LatestCheckpoint(ctx)
	if err == nil && latest.Size == size {
		return latest, nil
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Checkpoint{}, fmt.Errorf("read latest checkpoint: %w", err)
	}
	signed, err := SignCheckpoint(s.signer, s.origin, size, root)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("sign checkpoint: %w", err)
	}
	c := Checkpoint{Size: size, Root: root, Note: signed, Time: time.Now().UTC()}
	if err := s.log.st.SaveCheckpoint(ctx, c); err != nil {
		return Checkpoint{}, fmt.Errorf("store checkpoint: %w", err)
	}
	if s.notify != nil {
		s.notify(c)
	}
	return c, nil
}

// Run publishes a checkpoint every interval until ctx ends.
func (s *Signer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Publish(ctx); err != nil && ctx.Err() == nil {
				s.log.opt.Logger.Error("publish checkpoint", "err", err)
			}
		}
	}
}
