package witness

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/transparency-dev/formats/log"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Server is a minimal witness: it cosigns a checkpoint of a log it knows
// only after checking that it extends the last one it cosigned for that
// log, and keeps that last checkpoint per log in a directory.
type Server struct {
	signer note.Signer
	logs   map[string]*logState // by origin
	byHash map[string]*logState // by hex SHA-256 of the origin
	logger *slog.Logger
	mux    *http.ServeMux
}

var _ http.Handler = (*Server)(nil)

// logState is what the witness remembers of one log.
type logState struct {
	origin    string
	verifiers note.Verifiers
	file      *stateFile

	// mu makes the check of a request's old size and the write of the
	// new checkpoint one step, so that two requests cannot both pass the
	// check and the older one then roll the state back.
	mu   sync.Mutex
	size uint64
	root tlog.Hash
	note []byte // the latest cosigned checkpoint, with the log's and our signatures
}

// NewServer returns a witness that cosigns with signer the checkpoints of
// the logs whose verifier keys are given. A log's origin is its key's
// name; several keys with one name are one log whose key was rotated.
// State is kept in dir, one file per log, and loaded from it.
func NewServer(signer note.Signer, logKeys []string, dir string, logger *slog.Logger) (*Server, error) {
	if len(logKeys) == 0 {
		return nil, errors.New("no log verifier key; pass --log with the key that 'attest ledger key' prints")
	}
	if logger == nil {
		logger = slog.Default()
	}
	s := &Server{signer: signer, logs: map[string]*logState{}, byHash: map[string]*logState{}, logger: logger, mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /add-checkpoint", s.addCheckpoint)
	s.mux.HandleFunc("GET /{hash}/checkpoint", s.checkpoint)
	keys := map[string][]note.Verifier{}
	var order []string
	for _, k := range logKeys {
		v, err := fnote.NewVerifier(k)
		if err != nil {
			return nil, fmt.Errorf("log key %q: %w", keyName(k), err)
		}
		for _, o := range keys[v.Name()] {
			if o.KeyHash() == v.KeyHash() {
				return nil, fmt.Errorf("log key %q is given twice", v.Name())
			}
		}
		if keys[v.Name()] == nil {
			order = append(order, v.Name())
		}
		keys[v.Name()] = append(keys[v.Name()], v)
	}
	for _, origin := range order {
		h := sha256.Sum256([]byte(origin))
		id := hex.EncodeToString(h[:])
		st := &logState{origin: origin, verifiers: note.VerifierList(keys[origin]...), file: &stateFile{dir: dir, name: id}}
		if err := st.load(); err != nil {
			return nil, fmt.Errorf("log %s: %w", origin, err)
		}
		s.logs[origin] = st
		s.byHash[id] = st
	}
	return s, nil
}

// load reads the log's last cosigned checkpoint, if any. The file is the
// witness's own writing, so its signatures are not checked again.
func (st *logState) load() error {
	b, err := st.file.read()
	if err != nil || b == nil {
		return err
	}
	cp, err := parseText(noteText(b))
	if err != nil {
		return fmt.Errorf("stored checkpoint %s: %w", st.file.path(), err)
	}
	if cp.Origin != st.origin {
		return fmt.Errorf("stored checkpoint %s is for origin %q", st.file.path(), cp.Origin)
	}
	st.size, st.note = cp.Size, b
	copy(st.root[:], cp.Hash)
	return nil
}

// parseText parses a checkpoint body and checks its root is a hash.
func parseText(text []byte) (*log.Checkpoint, error) {
	cp := &log.Checkpoint{}
	if _, err := cp.Unmarshal(text); err != nil {
		return nil, err
	}
	if len(cp.Hash) != tlog.HashSize {
		return nil, fmt.Errorf("root hash has %d bytes, want %d", len(cp.Hash), tlog.HashSize)
	}
	return cp, nil
}

// ServeHTTP serves POST /add-checkpoint, and GET /<origin hash>/checkpoint
// with the latest cosigned checkpoint of a log for monitors.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) checkpoint(w http.ResponseWriter, r *http.Request) {
	st, ok := s.byHash[r.PathValue("hash")]
	if !ok {
		http.Error(w, "unknown log", http.StatusNotFound)
		return
	}
	st.mu.Lock()
	b := st.note
	st.mu.Unlock()
	if b == nil {
		http.Error(w, "no checkpoint of this log has been cosigned yet", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(b)
}

// reject answers a refused request. The reason helps the log's operator;
// it carries nothing the request did not.
func (s *Server) reject(w http.ResponseWriter, status int, origin, reason string) {
	s.logger.Info("add-checkpoint refused", "origin", origin, "status", status, "reason", reason)
	http.Error(w, reason, status)
}

func (s *Server) addCheckpoint(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.reject(w, http.StatusBadRequest, "", "the body cannot be read or is larger than "+strconv.Itoa(maxBody)+" bytes")
		return
	}
	req, err := ParseRequest(body)
	if err != nil {
		s.reject(w, http.StatusBadRequest, "", err.Error())
		return
	}
	origin, _, _ := bytes.Cut(req.Checkpoint, []byte("\n"))
	st, ok := s.logs[string(origin)]
	if !ok {
		s.reject(w, http.StatusNotFound, "", "this witness does not know the log's origin")
		return
	}
	n, err := note.Open(req.Checkpoint, st.verifiers)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		if errors.As(err, &unverified) || errors.As(err, &invalid) {
			s.reject(w, http.StatusForbidden, st.origin, "the checkpoint carries no valid signature by a key of its log")
			return
		}
		s.reject(w, http.StatusBadRequest, st.origin, "the checkpoint is not a well-formed signed note")
		return
	}
	cp, err := parseText([]byte(n.Text))
	if err != nil {
		s.reject(w, http.StatusBadRequest, st.origin, "the checkpoint body: "+err.Error())
		return
	}
	var root tlog.Hash
	copy(root[:], cp.Hash)
	if req.OldSize > cp.Size {
		s.reject(w, http.StatusBadRequest, st.origin, "the old size is larger than the checkpoint's")
		return
	}
	if empty, _ := tlog.TreeHash(0, nil); cp.Size == 0 && root != empty {
		s.reject(w, http.StatusUnprocessableEntity, st.origin, "an empty tree must have the empty root hash")
		return
	}
	line, status, reason := st.advance(s.signer, req, n, cp.Size, root)
	switch status {
	case http.StatusOK:
		s.logger.Info("cosigned", "origin", st.origin, "size", cp.Size, "old_size", req.OldSize)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(line)
	case http.StatusConflict:
		w.Header().Set("Content-Type", sizeContentType)
		w.WriteHeader(http.StatusConflict)
		w.Write(line)
	case http.StatusInternalServerError:
		s.logger.Error("add-checkpoint", "origin", st.origin, "err", reason)
		http.Error(w, "the witness could not record the checkpoint", status)
	default:
		s.reject(w, status, st.origin, reason)
	}
}

// advance moves the log's state to the checkpoint if it is consistent
// with the state, and returns the cosignature line. On 409 it returns the
// stored size as the body instead.
func (st *logState) advance(signer note.Signer, req Request, n *note.Note, size uint64, root tlog.Hash) ([]byte, int, string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if req.OldSize != st.size {
		return fmt.Appendf(nil, "%d\n", st.size), http.StatusConflict, ""
	}
	switch {
	case req.OldSize == 0:
		// Nothing to be consistent with yet; proofs from the empty tree
		// are empty.
		if len(req.Proof) != 0 {
			return nil, http.StatusUnprocessableEntity, "a consistency proof from size 0 must be empty"
		}
	case req.OldSize == size && len(req.Proof) != 0:
		return nil, http.StatusUnprocessableEntity, "a consistency proof between equal sizes must be empty"
	case req.OldSize == size:
		if root != st.root {
			return nil, http.StatusUnprocessableEntity, "the checkpoint has the size of the one cosigned before but not its root hash: the log forked"
		}
	default:
		if err := tlog.CheckTree(req.Proof, int64(size), root, int64(st.size), st.root); err != nil {
			return nil, http.StatusUnprocessableEntity, "the consistency proof does not verify: the checkpoint does not extend the one cosigned before"
		}
	}
	cosigned, err := note.Sign(&note.Note{Text: n.Text, Sigs: n.Sigs}, signer)
	if err != nil {
		return nil, http.StatusInternalServerError, "sign: " + err.Error()
	}
	// note.Sign writes the new signature last.
	line := cosigned[bytes.LastIndexByte(cosigned[:len(cosigned)-1], '\n')+1:]
	if err := st.file.write(cosigned); err != nil {
		return nil, http.StatusInternalServerError, err.Error()
	}
	st.size, st.root, st.note = size, root, cosigned
	return line, http.StatusOK, ""
}
