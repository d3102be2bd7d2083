package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/monitor"
	"github.com/attest-ai/attest/internal/privacy"
	"github.com/attest-ai/attest/internal/registry/signing"
)

// Ledger events about evaluations.
const (
	EventSuiteRegistered = "eval.suite_registered"
	EventEvalCompleted   = monitor.EventEvalCompleted
)

// EvalPredicateType identifies signed evaluation results.
const EvalPredicateType = "https://attest.dev/evaluation-result/v1"

// Suite is an evaluation suite: a locked validation set, known only by its
// digest, the metrics computed on it and the gate a candidate must pass.
// A suite never changes; a new validation set is a new suite.
type Suite struct {
	Name  string `json:"name"`
	Model string `json:"model"`
	// Task is classification or generation; it only documents which
	// built-in metrics make sense.
	Task             string       `json:"task"`
	ValidationDigest string       `json:"validation_digest"`
	Examples         int          `json:"examples"`
	Metrics          []string     `json:"metrics"`
	Gate             monitor.Gate `json:"gate"`
	// Margin is how much worse than production a candidate may be on a
	// gated metric; it fills every rule that sets no max_regression.
	Margin float64 `json:"margin"`
	// ReplayDrop is how far a scheduled replay may fall below the
	// version's own gate result before it raises a drift alert.
	ReplayDrop float64   `json:"replay_drop"`
	Subjects   int       `json:"subjects,omitempty"`
	Created    time.Time `json:"created"`
	CreatedBy  string    `json:"created_by"`
	Index      uint64    `json:"index"`
}

// SuiteSpec describes a suite to register.
type SuiteSpec struct {
	Name             string       `json:"name"`
	Model            string       `json:"model"`
	Task             string       `json:"task"`
	ValidationDigest string       `json:"validation_digest"`
	Examples         int          `json:"examples"`
	Metrics          []string     `json:"metrics"`
	Gate             monitor.Gate `json:"gate"`
	Margin           *float64     `json:"margin,omitempty"`
	ReplayDrop       *float64     `json:"replay_drop,omitempty"`
	// Subjects and SubjectPseudonyms name the data subjects the
	// validation set holds, as for dataset snapshots.
	Subjects          []string `json:"subjects,omitempty"`
	SubjectPseudonyms []string `json:"subject_pseudonyms,omitempty"`
}

var metricPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}(:[^\s]{1,64})?$`)

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// RegisterSuite registers an evaluation suite for a model.
func (s *Service) RegisterSuite(ctx context.Context, tenant string, actor ledger.Actor, spec SuiteSpec) (Suite, error) {
	if err := checkName("suite name", spec.Name); err != nil {
		return Suite{}, err
	}
	if _, err := s.Model(ctx, tenant, spec.Model); err != nil {
		return Suite{}, err
	}
	switch spec.Task {
	case "classification", "generation":
	default:
		return Suite{}, fmt.Errorf("%w: task %q must be classification or generation", ErrInvalid, spec.Task)
	}
	digest, err := normDigest("validation_digest", spec.ValidationDigest)
	if err != nil {
		return Suite{}, err
	}
	if spec.Examples <= 0 {
		return Suite{}, fmt.Errorf("%w: examples must be the number of examples in the validation set", ErrInvalid)
	}
	if len(spec.Metrics) == 0 || len(spec.Metrics) > 64 {
		return Suite{}, fmt.Errorf("%w: name 1-64 metrics, such as accuracy,f1_macro or exact_match", ErrInvalid)
	}
	for _, m := range spec.Metrics {
		if !metricPattern.MatchString(m) {
			return Suite{}, fmt.Errorf("%w: metric %q must be lowercase snake case, optionally with \":label\"", ErrInvalid, m)
		}
	}
	margin, drop := 0.0, 0.05
	if spec.Margin != nil {
		margin = *spec.Margin
		drop = margin
	}
	if spec.ReplayDrop != nil {
		drop = *spec.ReplayDrop
	}
	if !finite(margin) || margin < 0 || !finite(drop) || drop < 0 {
		return Suite{}, fmt.Errorf("%w: margin and replay_drop must be zero or more", ErrInvalid)
	}
	gate := monitor.Gate{Rules: slices.Clone(spec.Gate.Rules)}
	for i := range gate.Rules {
		r := &gate.Rules[i]
		if !slices.Contains(spec.Metrics, r.Metric) {
			return Suite{}, fmt.Errorf("%w: the gate names %q, which the suite does not compute", ErrInvalid, r.Metric)
		}
		if r.MaxRegression == nil && spec.Margin != nil {
			r.MaxRegression = &margin
		}
	}
	if err := gate.Validate(); err != nil {
		return Suite{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	subs, err := s.pseudonyms(tenant, spec.Subjects, spec.SubjectPseudonyms)
	if err != nil {
		return Suite{}, err
	}
	if _, err := s.suites.Get(ctx, tenant, spec.Name); err == nil {
		return Suite{}, fmt.Errorf("%w: suite %s exists and is locked; register a new suite for a new validation set", ErrConflict, spec.Name)
	}
	su := Suite{Name: spec.Name, Model: spec.Model, Task: spec.Task, ValidationDigest: digest, Examples: spec.Examples,
		Metrics: spec.Metrics, Gate: gate, Margin: margin, ReplayDrop: drop, Subjects: len(subs), Created: s.now(), CreatedBy: actor.ID}
	su.Index, err = s.record(ctx, EventSuiteRegistered, tenant, actor, map[string]any{
		"name": su.Name, "model": su.Model, "task": su.Task, "validation_sha256": digest, "examples": su.Examples,
		"metrics": su.Metrics, "gate": su.Gate, "margin": margin, "replay_drop": drop, "subjects": su.Subjects,
	}, suiteRef(su.Name), modelRef(su.Model))
	if err != nil {
		return Suite{}, err
	}
	if err := s.indexSubjects(ctx, tenant, privacy.Reference{Kind: "eval_set", ID: su.Name}, subs); err != nil {
		return Suite{}, err
	}
	if err := s.suites.Create(ctx, tenant, su.Name, su); err != nil {
		return Suite{}, conflict(err, "suite %s exists", su.Name)
	}
	return su, nil
}

// Suite returns a registered suite.
func (s *Service) Suite(ctx context.Context, tenant, name string) (Suite, error) {
	su, err := s.suites.Get(ctx, tenant, name)
	return su, notFound(err, "no evaluation suite %q; register it with 'attest eval register'", name)
}

// Suites lists a tenant's suites.
func (s *Service) Suites(ctx context.Context, tenant string) ([]Suite, error) {
	return s.suites.List(ctx, tenant)
}

// ResultSpec is a finished evaluation run to record.
type ResultSpec struct {
	ModelVersion      string             `json:"model_version"`
	Metrics           map[string]float64 `json:"metrics"`
	Examples          int                `json:"examples"`
	PredictionsSHA256 string             `json:"predictions_sha256"`
	ValidationDigest  string             `json:"validation_digest"`
	// Envelope optionally signs the result with one of the tenant's
	// trusted ECDSA keys: a DSSE envelope (signing.SignEnvelope) whose
	// payload is EvalStatement of this result.
	Envelope json.RawMessage `json:"envelope,omitempty"`
}

// evalPredicate is what a signed result states.
type evalPredicate struct {
	Suite             string             `json:"suite"`
	ModelVersion      string             `json:"model_version"`
	Metrics           map[string]float64 `json:"metrics"`
	Examples          int                `json:"examples"`
	PredictionsSHA256 string             `json:"predictions_sha256"`
	ValidationDigest  string             `json:"validation_digest"`
}

// EvalStatement is the in-toto statement a tenant key signs for a result;
// its subject is the model version's digest.
func EvalStatement(suite, versionDigest string, r ResultSpec) ([]byte, error) {
	return newStatement(EvalPredicateType, r.ModelVersion, versionDigest, evalPredicate{
		Suite: suite, ModelVersion: r.ModelVersion, Metrics: r.Metrics, Examples: r.Examples,
		PredictionsSHA256: r.PredictionsSHA256, ValidationDigest: r.ValidationDigest,
	})
}

// EvalResult is one recorded evaluation.
type EvalResult struct {
	ID                string             `json:"id"`
	Suite             string             `json:"suite"`
	ModelVersion      string             `json:"model_version"`
	Metrics           map[string]float64 `json:"metrics"`
	Examples          int                `json:"examples"`
	PredictionsSHA256 string             `json:"predictions_sha256"`
	ValidationDigest  string             `json:"validation_digest"`
	Gate              *monitor.Decision  `json:"gate"`
	Passed            bool               `json:"passed"`
	// Baseline is the production version compared against, if any.
	Baseline string          `json:"baseline,omitempty"`
	Signer   string          `json:"signer,omitempty"`
	Envelope json.RawMessage `json:"envelope,omitempty"`
	Actor    ledger.Actor    `json:"actor"`
	Time     time.Time       `json:"time"`
	Index    uint64          `json:"index"`
}

// evalBody is the eval.completed body: the monitor package's fields plus
// the outcome the controls engine reads ("passed").
type evalBody struct {
	monitor.EvalBody
	ResultID         string `json:"result_id"`
	ModelVersion     string `json:"model_version"`
	Passed           bool   `json:"passed"`
	Baseline         string `json:"baseline,omitempty"`
	ValidationSHA256 string `json:"validation_sha256"`
	Signer           string `json:"signer,omitempty"`
}

// RecordEval checks a finished run against its suite, applies the gate
// against the current production version and records eval.completed.
// A failing gate is recorded too: the result says it failed.
func (s *Service) RecordEval(ctx context.Context, tenant string, actor ledger.Actor, suiteName string, r ResultSpec) (EvalResult, error) {
	su, err := s.Suite(ctx, tenant, suiteName)
	if err != nil {
		return EvalResult{}, err
	}
	v, err := s.Version(ctx, tenant, r.ModelVersion)
	if err != nil {
		return EvalResult{}, err
	}
	if v.Model != su.Model {
		return EvalResult{}, fmt.Errorf("%w: suite %s evaluates model %s, not %s", ErrInvalid, su.Name, su.Model, v.Model)
	}
	vd, err := normDigest("validation_digest", r.ValidationDigest)
	if err != nil {
		return EvalResult{}, err
	}
	if vd != su.ValidationDigest {
		return EvalResult{}, fmt.Errorf("%w: the results are for validation set %s, but suite %s is locked to %s", ErrConflict, vd, su.Name, su.ValidationDigest)
	}
	if r.Examples != su.Examples {
		return EvalResult{}, fmt.Errorf("%w: the run scored %d examples; the suite's validation set has %d", ErrInvalid, r.Examples, su.Examples)
	}
	if _, err := normDigest("predictions_sha256", r.PredictionsSHA256); err != nil {
		return EvalResult{}, err
	}
	for _, m := range su.Metrics {
		x, ok := r.Metrics[m]
		if !ok || !finite(x) {
			return EvalResult{}, fmt.Errorf("%w: metric %s is missing or not a finite number", ErrInvalid, m)
		}
	}
	if len(r.Metrics) > 256 {
		return EvalResult{}, fmt.Errorf("%w: at most 256 metrics per result", ErrInvalid)
	}
	res := EvalResult{
		ID: newID("ev_"), Suite: su.Name, ModelVersion: v.ID(), Metrics: r.Metrics, Examples: r.Examples,
		PredictionsSHA256: strings.TrimPrefix(r.PredictionsSHA256, "sha256:"), ValidationDigest: vd,
		Actor: actor, Time: s.now(),
	}
	var sigB64 string
	if len(r.Envelope) > 0 {
		if res.Signer, sigB64, err = s.checkResultSignature(ctx, tenant, su.Name, v.Digest, r); err != nil {
			return EvalResult{}, err
		}
		res.Envelope = r.Envelope
	}
	baseline, base := s.productionMetrics(ctx, tenant, su)
	if baseline != v.ID() {
		res.Baseline = baseline
	} else {
		base = nil
	}
	res.Gate = su.Gate.Evaluate(r.Metrics, base)
	res.Passed = res.Gate.Pass
	body := evalBody{
		EvalBody: monitor.EvalBody{Suite: su.Name, Metrics: r.Metrics, Examples: r.Examples,
			PredictionsSHA256: res.PredictionsSHA256, Gate: res.Gate, Signature: sigB64},
		ResultID: res.ID, ModelVersion: v.ID(), Passed: res.Passed, Baseline: res.Baseline,
		ValidationSHA256: vd, Signer: res.Signer,
	}
	if res.Index, err = s.record(ctx, EventEvalCompleted, tenant, actor, body, versionRef(v.ID()), suiteRef(su.Name), modelRef(v.Model)); err != nil {
		return EvalResult{}, err
	}
	if err := s.evals.Create(ctx, tenant, res.ID, res); err != nil {
		return EvalResult{}, err
	}
	_, err = s.versions.Mutate(ctx, tenant, v.ID(), func(v *Version) error {
		if v.Evals == nil {
			v.Evals = map[string]*EvalSummary{}
		}
		v.Evals[su.Name] = &EvalSummary{ID: res.ID, Passed: res.Passed, Metrics: maps.Clone(r.Metrics), Time: res.Time, Index: res.Index}
		return nil
	})
	return res, err
}

// checkResultSignature verifies a tenant-key signature over a result and
// that it states exactly the submitted result.
func (s *Service) checkResultSignature(ctx context.Context, tenant, suite, digest string, r ResultSpec) (signer, sig string, err error) {
	var env signing.Envelope
	if err := json.Unmarshal(r.Envelope, &env); err != nil || len(env.Signatures) == 0 {
		return "", "", fmt.Errorf("%w: envelope is not a DSSE envelope with a signature", ErrInvalid)
	}
	keys, err := s.activeKeys(ctx, tenant)
	if err != nil {
		return "", "", err
	}
	for _, k := range keys {
		payload, err := signing.VerifyEnvelope(&env, k.pub)
		if err != nil {
			continue
		}
		var st struct {
			PredicateType string        `json:"predicateType"`
			Subject       []stmtSubject `json:"subject"`
			Predicate     evalPredicate `json:"predicate"`
		}
		if err := json.Unmarshal(payload, &st); err != nil {
			return "", "", fmt.Errorf("%w: the signed statement is not JSON", ErrInvalid)
		}
		p := st.Predicate
		same := st.PredicateType == EvalPredicateType && len(st.Subject) == 1 && st.Subject[0].Digest["sha256"] == hexOf(digest) &&
			p.Suite == suite && p.ModelVersion == r.ModelVersion && p.Examples == r.Examples &&
			p.PredictionsSHA256 == r.PredictionsSHA256 && p.ValidationDigest == r.ValidationDigest && maps.Equal(p.Metrics, r.Metrics)
		if !same {
			return "", "", fmt.Errorf("%w: the signed statement does not state this result; sign EvalStatement of exactly what is submitted", ErrInvalid)
		}
		return k.hint, env.Signatures[0].Sig, nil
	}
	return "", "", fmt.Errorf("%w: the result's signature is not by a key tenant %s trusts", ErrForbidden, tenant)
}

// productionMetrics returns the production version of the suite's model
// and its newest metrics on the suite, if any.
func (s *Service) productionMetrics(ctx context.Context, tenant string, su Suite) (string, map[string]float64) {
	a, err := s.aliases.Get(ctx, tenant, aliasID(KindModel, su.Model, AliasProduction))
	if err != nil || a.Version == "" {
		return "", nil
	}
	id := su.Model + "@" + a.Version
	pv, err := s.versions.Get(ctx, tenant, id)
	if err != nil || pv.Evals[su.Name] == nil {
		return id, nil
	}
	return id, pv.Evals[su.Name].Metrics
}

// EvalResults lists a suite's results, oldest first.
func (s *Service) EvalResults(ctx context.Context, tenant, suite string) ([]EvalResult, error) {
	all, err := s.evals.List(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []EvalResult
	for _, r := range all {
		if r.Suite == suite {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b EvalResult) int { return compareUint(a.Index, b.Index) })
	return out, nil
}

// gateForPromotion checks that a version passed every suite of its model,
// re-applying each gate against the current production version. It
// returns the result ids behind the decision.
func (s *Service) gateForPromotion(ctx context.Context, tenant string, v Version) ([]string, error) {
	all, err := s.suites.List(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var ids []string
	var reasons []string
	n := 0
	for _, su := range all {
		if su.Model != v.Model {
			continue
		}
		n++
		sum := v.Evals[su.Name]
		if sum == nil {
			reasons = append(reasons, fmt.Sprintf("not evaluated on suite %s; run 'attest eval run %s --model %s'", su.Name, su.Name, v.ID()))
			continue
		}
		ids = append(ids, sum.ID)
		prod, base := s.productionMetrics(ctx, tenant, su)
		if prod == v.ID() {
			base = nil
		}
		d := su.Gate.Evaluate(sum.Metrics, base)
		if !d.Pass {
			reasons = append(reasons, fmt.Sprintf("suite %s: %s", su.Name, strings.Join(d.Reasons(), "; ")))
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: no evaluation suite gates model %s; register one with 'attest eval register' and run it", ErrGate, v.Model)
	}
	if len(reasons) > 0 {
		return ids, fmt.Errorf("%w for %s: %s", ErrGate, v.ID(), strings.Join(reasons, "; "))
	}
	return ids, nil
}
