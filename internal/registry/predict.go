package registry

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/monitor"
)

// MaxValidationLine bounds one line of a validation set file.
const MaxValidationLine = 1 << 20

// MaxValidationExamples bounds a validation set.
const MaxValidationExamples = 1_000_000

// ValidationExample is one line of a validation set: an input for the
// model and the answer it should give.
type ValidationExample struct {
	ID       string `json:"id"`
	Input    string `json:"input"`
	Expected string `json:"expected"`
}

// ValidationSet is a parsed validation set file. Digest is "sha256:" and
// the hex SHA-256 of the file as read: the value a suite is locked to.
type ValidationSet struct {
	Examples []ValidationExample
	Digest   string
}

// ErrValidationSet wraps every problem with a validation set file.
var ErrValidationSet = errors.New("invalid validation set")

// ReadValidationSet reads JSON Lines: one object per line with string
// fields "id" (unique, non-empty), "input" and "expected"; blank lines are
// skipped and other fields ignored. Errors name the line, never its text.
func ReadValidationSet(r io.Reader) (*ValidationSet, error) {
	h := sha256.New()
	sc := bufio.NewScanner(io.TeeReader(r, h))
	sc.Buffer(make([]byte, 64<<10), MaxValidationLine)
	set := &ValidationSet{}
	seen := map[string]int{}
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var raw struct {
			ID       *string `json:"id"`
			Input    *string `json:"input"`
			Expected *string `json:"expected"`
		}
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("%w: line %d is not a JSON object with string fields", ErrValidationSet, line)
		}
		if raw.ID == nil || *raw.ID == "" || raw.Input == nil || raw.Expected == nil {
			return nil, fmt.Errorf("%w: line %d needs a non-empty \"id\" and string \"input\" and \"expected\"", ErrValidationSet, line)
		}
		if first, dup := seen[*raw.ID]; dup {
			return nil, fmt.Errorf("%w: line %d repeats the id of line %d", ErrValidationSet, line, first)
		}
		if len(set.Examples) == MaxValidationExamples {
			return nil, fmt.Errorf("%w: more than %d examples", ErrValidationSet, MaxValidationExamples)
		}
		seen[*raw.ID] = line
		set.Examples = append(set.Examples, ValidationExample{ID: *raw.ID, Input: *raw.Input, Expected: *raw.Expected})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: line %d is over %d bytes", ErrValidationSet, line+1, MaxValidationLine)
		}
		return nil, fmt.Errorf("%w: %v", ErrValidationSet, err)
	}
	if len(set.Examples) == 0 {
		return nil, fmt.Errorf("%w: no examples", ErrValidationSet)
	}
	set.Digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	return set, nil
}

// MatchPredictions checks that a predictions file answers exactly the
// validation set, with the same expected answers, and returns its examples
// in the set's order.
func (vs *ValidationSet) MatchPredictions(p *monitor.Predictions) ([]monitor.Example, error) {
	byID := make(map[string]monitor.Example, len(p.Examples))
	for _, e := range p.Examples {
		byID[e.ID] = e
	}
	out := make([]monitor.Example, 0, len(vs.Examples))
	for _, v := range vs.Examples {
		e, ok := byID[v.ID]
		if !ok {
			return nil, fmt.Errorf("%w: the predictions lack example %q of the validation set", ErrInvalid, v.ID)
		}
		if e.Expected != v.Expected {
			return nil, fmt.Errorf("%w: example %q expects another answer in the predictions than in the validation set", ErrInvalid, v.ID)
		}
		out = append(out, e)
	}
	if len(p.Examples) != len(vs.Examples) {
		return nil, fmt.Errorf("%w: the predictions have %d examples, the validation set %d", ErrInvalid, len(p.Examples), len(vs.Examples))
	}
	return out, nil
}

// PredictionsDigest is the SHA-256 of examples written as JSON Lines, the
// digest a run through the gateway records.
func PredictionsDigest(examples []monitor.Example) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, e := range examples {
		enc.Encode(e)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Predictor answers one input.
type Predictor interface {
	Predict(ctx context.Context, input string) (string, error)
}

// GatewayPredictor calls a model through an OpenAI-compatible chat
// completions endpoint, attest's own gateway in particular, with the
// caller's API key.
type GatewayPredictor struct {
	// BaseURL is the gateway's address, such as http://127.0.0.1:8080.
	BaseURL string
	APIKey  string
	// Model is the model or alias to call.
	Model  string
	Client *http.Client
}

// Predict sends input as one user message and returns the answer. Errors
// name the status, never the text of the input or answer.
func (g *GatewayPredictor) Predict(ctx context.Context, input string) (string, error) {
	body, _ := json.Marshal(map[string]any{
		"model":       g.Model,
		"messages":    []map[string]string{{"role": "user", "content": input}},
		"temperature": 0,
	})
	c := g.Client
	if c == nil {
		c = &http.Client{Timeout: 2 * time.Minute}
	}
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(time.Duration(attempt) * 500 * time.Millisecond):
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(g.BaseURL, "/")+"/v1/chat/completions", bytes.NewReader(body))
		if err != nil {
			return "", fmt.Errorf("gateway URL %q: %w", g.BaseURL, err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+g.APIKey)
		resp, err := c.Do(req)
		if err != nil {
			last = fmt.Errorf("call the gateway: %w", err)
			continue
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		resp.Body.Close()
		if err != nil {
			last = fmt.Errorf("read the gateway's answer: %w", err)
			continue
		}
		switch {
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			last = fmt.Errorf("the gateway answered %d", resp.StatusCode)
			continue
		case resp.StatusCode != http.StatusOK:
			return "", fmt.Errorf("the gateway answered %d: check the API key and that it may call model %q", resp.StatusCode, g.Model)
		}
		return parseCompletion(data)
	}
	return "", last
}

// parseCompletion extracts the first choice's text from a chat completion.
func parseCompletion(data []byte) (string, error) {
	var out struct {
		Choices []struct {
			Message struct {
				Content *string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return "", fmt.Errorf("the gateway's answer is not a chat completion: %w", err)
	}
	if len(out.Choices) == 0 || out.Choices[0].Message.Content == nil {
		return "", errors.New("the gateway's answer has no message content")
	}
	return *out.Choices[0].Message.Content, nil
}

// Predict runs every example of the set through p with a few calls in
// flight and returns the scored examples in the set's order.
func Predict(ctx context.Context, p Predictor, set *ValidationSet, workers int, progress func(done, total int)) ([]monitor.Example, error) {
	if workers < 1 {
		workers = 1
	}
	out := make([]monitor.Example, len(set.Examples))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		done  int
		wg    sync.WaitGroup
	)
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				ex := set.Examples[i]
				ans, err := p.Predict(ctx, ex.Input)
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("example %q: %w", ex.ID, err)
					cancel()
				}
				out[i] = monitor.Example{ID: ex.ID, Expected: ex.Expected, Predicted: ans}
				done++
				if progress != nil {
					progress(done, len(out))
				}
				mu.Unlock()
			}
		}()
	}
	for i := range set.Examples {
		select {
		case next <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Score computes a suite's metrics over examples with the monitor
// package's metrics; custom holds values of metrics computed elsewhere
// (for example by a human rating), used for names the registry lacks.
func (s *Service) Score(su Suite, examples []monitor.Example, custom map[string]float64) (map[string]float64, error) {
	var compute []string
	out := map[string]float64{}
	for _, m := range su.Metrics {
		if s.builtin(m) {
			compute = append(compute, m)
			continue
		}
		v, ok := custom[m]
		if !ok || !finite(v) {
			return nil, fmt.Errorf("%w: metric %s is not built in; supply its value", ErrInvalid, m)
		}
		out[m] = v
	}
	got, err := s.metrics.Compute(compute, examples)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	for k, v := range got {
		out[k] = v
	}
	return out, nil
}

// Replay runs a suite's locked validation set through the model behind an
// alias and records how it compares with the version's gate result. The
// set must be the one the suite is locked to. Only built-in metrics are
// replayed: custom ones were computed elsewhere.
func (s *Service) Replay(ctx context.Context, tenant string, actor ledger.Actor, suiteName, alias string, set *ValidationSet, p Predictor) (ReplayOutcome, error) {
	su, err := s.Suite(ctx, tenant, suiteName)
	if err != nil {
		return ReplayOutcome{}, err
	}
	if set.Digest != su.ValidationDigest {
		return ReplayOutcome{}, fmt.Errorf("%w: the validation set is %s but suite %s is locked to %s", ErrConflict, set.Digest, su.Name, su.ValidationDigest)
	}
	a, err := s.Alias(ctx, tenant, KindModel, su.Model, alias)
	if err != nil {
		return ReplayOutcome{}, err
	}
	examples, err := Predict(ctx, p, set, 4, nil)
	if err != nil {
		return ReplayOutcome{}, err
	}
	su.Metrics = slices.DeleteFunc(slices.Clone(su.Metrics), func(m string) bool { return !s.builtin(m) })
	metrics, err := s.Score(su, examples, nil)
	if err != nil {
		return ReplayOutcome{}, err
	}
	return s.RecordReplay(ctx, tenant, actor, su.Name, su.Model+"@"+a.Version, metrics, len(examples), PredictionsDigest(examples))
}

// builtin reports whether the monitor package computes metric m.
func (s *Service) builtin(m string) bool {
	if kind, _, per := strings.Cut(m, ":"); per {
		return kind == "precision" || kind == "recall" || kind == "f1"
	}
	return slices.Contains(s.metrics.Names(), m)
}
