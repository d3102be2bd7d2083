package monitor

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Example is one scored item: what the model should have answered and
// what it did.
type Example struct {
	ID        string `json:"id"`
	Expected  string `json:"expected"`
	Predicted string `json:"predicted"`
}

// Predictions is a parsed predictions file.
type Predictions struct {
	Examples []Example
	// SHA256 is the hex digest of the file as read, which ties results to
	// the exact predictions they were computed from.
	SHA256 string
}

// MaxLineSize bounds one line of a predictions file.
const MaxLineSize = 1 << 20

// ErrPredictions wraps every problem with a predictions file.
var ErrPredictions = errors.New("invalid predictions file")

// ReadPredictions reads JSON Lines: one object per line with string fields
// "id" (unique, non-empty), "expected" and "predicted". Other fields, such
// as the input, are ignored; blank lines are skipped. Errors name the line.
func ReadPredictions(r io.Reader) (*Predictions, error) {
	h := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(r, h), 64<<10)
	p := &Predictions{}
	seen := map[string]int{}
	for line := 1; ; line++ {
		raw, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: line %d: %v", ErrPredictions, line, err)
		}
		if b := bytes.TrimSpace(raw); len(b) > 0 {
			e, perr := parseExample(b)
			if perr != nil {
				return nil, fmt.Errorf("%w: line %d: %v", ErrPredictions, line, perr)
			}
			if first, dup := seen[e.ID]; dup {
				return nil, fmt.Errorf("%w: line %d: id %q already used on line %d", ErrPredictions, line, e.ID, first)
			}
			seen[e.ID] = line
			p.Examples = append(p.Examples, e)
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if len(p.Examples) == 0 {
		return nil, fmt.Errorf("%w: no examples", ErrPredictions)
	}
	p.SHA256 = hex.EncodeToString(h.Sum(nil))
	return p, nil
}

// readLine returns the next line without its newline, refusing lines over
// MaxLineSize instead of buffering them.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxLineSize {
			return nil, fmt.Errorf("line is longer than %d bytes", MaxLineSize)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimSuffix(line, []byte("\n")), err
	}
}

func parseExample(b []byte) (Example, error) {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return Example{}, fmt.Errorf("not a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Example{}, fmt.Errorf("more than one JSON value on the line")
	}
	var e Example
	for _, f := range []struct {
		name string
		dst  *string
	}{{"id", &e.ID}, {"expected", &e.Expected}, {"predicted", &e.Predicted}} {
		raw, ok := fields[f.name]
		if !ok || string(raw) == "null" {
			return Example{}, fmt.Errorf("field %q is missing", f.name)
		}
		if err := json.Unmarshal(raw, f.dst); err != nil {
			return Example{}, fmt.Errorf("field %q must be a string", f.name)
		}
	}
	if e.ID == "" {
		return Example{}, fmt.Errorf("field \"id\" is empty")
	}
	return e, nil
}
