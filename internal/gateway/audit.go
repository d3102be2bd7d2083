package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"math"
	"time"

	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/ledger"
)

// guardSummary is what a guard verdict leaves in the audit entry: the
// action, whether the text was scanned at all, counts by finding type,
// scores and reasons, never content.
//
// The fields of this and the entry types below are in the order of their
// JSON names, which is the order RFC 8785 prescribes: the ledger's
// canonical encoder then finds every object sorted and copies it through
// instead of sorting it. TestAuditEntriesAreCanonical keeps it so.
type guardSummary struct {
	Action            string         `json:"action"`
	FailOpen          bool           `json:"fail_open,omitempty"`
	Findings          map[string]int `json:"findings,omitempty"`
	IndirectInjection float64        `json:"indirect_injection,omitempty"`
	Injection         float64        `json:"injection,omitempty"`
	Modified          bool           `json:"modified,omitempty"`
	Reasons           []string       `json:"reasons,omitempty"`
	Retried           bool           `json:"retried,omitempty"`
	Rules             []string       `json:"rules,omitempty"`
	Scanned           bool           `json:"scanned"`
	UnscannedParts    int            `json:"unscanned_parts,omitempty"`
}

// maxReasons bounds the reasons kept per verdict.
const maxReasons = 8

func summarize(v GuardVerdict, ok bool) *guardSummary {
	if !ok || v.Action == "" {
		return nil
	}
	s := &guardSummary{Action: v.Action, Scanned: v.Scanned, FailOpen: v.FailOpen, Modified: v.Modified, Findings: v.Findings,
		Injection: round3(v.Injection), IndirectInjection: round3(v.IndirectInjection), Rules: v.Rules, Reasons: v.Reasons}
	if len(s.Reasons) > maxReasons {
		s.Reasons = s.Reasons[:maxReasons]
	}
	return s
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// requestEntry is the body of an inference.request event.
type requestEntry struct {
	API     string `json:"api"`
	Consent string `json:"consent,omitempty"`
	// DataClass is the request's classification; ProvidersSkipped the
	// providers of the route it was kept from, and why.
	DataClass        string            `json:"data_class,omitempty"`
	Guard            *guardSummary     `json:"guard,omitempty"`
	Inputs           int               `json:"inputs,omitempty"`
	KeyID            string            `json:"key_id"`
	Messages         int               `json:"messages,omitempty"`
	ModelDigest      string            `json:"model_digest,omitempty"`
	ModelVersion     string            `json:"model_version,omitempty"`
	PayloadMAC       string            `json:"payload_mac,omitempty"`
	PayloadRef       string            `json:"payload_ref,omitempty"`
	PromptBytes      int               `json:"prompt_bytes"`
	PromptHMAC       string            `json:"prompt_hmac"`
	TokensEst        int               `json:"prompt_tokens_est"`
	ProvidersSkipped []skippedProvider `json:"providers_skipped,omitempty"`
	RequestID        string            `json:"request_id"`
	Retention        string            `json:"retention"`
	Route            string            `json:"route"`
	Stream           bool              `json:"stream"`
	Tools            int               `json:"tools,omitempty"`
}

// responseEntry is the body of an inference.response event.
type responseEntry struct {
	API              string            `json:"api"`
	Attempts         int               `json:"attempts,omitempty"`
	Cancelled        bool              `json:"cancelled,omitempty"`
	Consent          string            `json:"consent,omitempty"`
	DataClass        string            `json:"data_class,omitempty"`
	Error            string            `json:"error,omitempty"`
	FailOpen         bool              `json:"fail_open,omitempty"`
	Fallback         string            `json:"fallback,omitempty"`
	Guard            *guardSummary     `json:"guard,omitempty"`
	GuardOutput      *guardSummary     `json:"guard_output,omitempty"`
	InputTokens      int               `json:"input_tokens"`
	KeyID            string            `json:"key_id"`
	LatencyUS        int64             `json:"latency_us"`
	Model            string            `json:"model,omitempty"`
	ModelDigest      string            `json:"model_digest,omitempty"`
	ModelVersion     string            `json:"model_version,omitempty"`
	OutputTokens     int               `json:"output_tokens"`
	PayloadMAC       string            `json:"payload_mac,omitempty"`
	PayloadRef       string            `json:"payload_ref,omitempty"`
	Provider         string            `json:"provider,omitempty"`
	ProviderKind     string            `json:"provider_kind,omitempty"`
	ProvidersSkipped []skippedProvider `json:"providers_skipped,omitempty"`
	Refused          string            `json:"refused,omitempty"`
	RequestID        string            `json:"request_id"`
	RequestIndex     *uint64           `json:"request_index,omitempty"`
	ResponseHMAC     string            `json:"response_hmac,omitempty"`
	Route            string            `json:"route"`
	Status           int               `json:"status"`
	StopReason       string            `json:"stop_reason,omitempty"`
	TTFTUS           int64             `json:"ttft_us,omitempty"`
	// UpstreamModel is what the provider reported when ModelVersion is
	// the registry's version.
	UpstreamModel string `json:"upstream_model,omitempty"`
}

func (x *exchange) inputSummary() *guardSummary {
	s := summarize(x.inputVerdict, x.guarded)
	if s != nil {
		s.UnscannedParts = x.unscannedParts
	}
	return s
}

// subjects returns the audit entry's subjects: the pseudonymous end user,
// if the client named one, and the API key.
func (x *exchange) subjects() []ledger.Ref {
	refs := make([]ledger.Ref, 0, 2)
	if x.hasSubject {
		refs = append(refs, x.subject)
	}
	return append(refs, ledger.Ref{Kind: "api_key", ID: x.caller.KeyID})
}

// sealSubject is the subject a payload is sealed under: the end user's
// pseudonym, or the key when the client named no end user.
func (x *exchange) sealSubject() string {
	if x.hasSubject {
		return x.subject.ID
	}
	return "api_key:" + x.caller.KeyID
}

func (x *exchange) actor() ledger.Actor {
	return ledger.Actor{Kind: ledger.ActorService, ID: x.caller.KeyID}
}

// keyedHash is an HMAC-SHA256 under the tenant's hash key of parts joined
// by a separator that cannot occur in UTF-8 text.
func keyedHash(key []byte, parts []string) string {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0xff})
	}
	return hex.EncodeToString(m.Sum(nil))
}

type payloadPart struct {
	Role string `json:"role"`
	Text string `json:"text"`
}

// retentionTTL returns how long a sealed payload lives; zero keeps it
// until the subject is erased.
func (x *exchange) retentionTTL() time.Duration {
	if x.policy.Retention == RetainRedacted {
		days := x.policy.RetentionDays
		if days <= 0 {
			days = 30
		}
		return time.Duration(days) * 24 * time.Hour
	}
	return 0
}

// seal stores a payload for the redacted and full retention modes. Zero
// retention never calls it.
func (g *Gateway) seal(ctx context.Context, x *exchange, kind string, parts []payloadPart) (ref, mac string, err error) {
	if x.policy.Retention == RetainRedacted {
		for i := range parts {
			parts[i].Text = g.guard.Redact(ctx, x.caller.Tenant, parts[i].Text)
		}
		kind += ".redacted"
	}
	b, err := json.Marshal(parts)
	if err != nil {
		return "", "", err
	}
	return g.deps.Sealer.Seal(ctx, x.caller.Tenant, x.sealSubject(), kind, b, x.retentionTTL())
}

func (x *exchange) retains() bool {
	return x.policy.Retention == RetainRedacted || x.policy.Retention == RetainFull
}

// appendRequest makes the inference.request entry durable. It runs
// concurrently with the upstream call.
func (g *Gateway) appendRequest(ctx context.Context, x *exchange) (uint64, error) {
	e, err := g.requestEvent(ctx, x)
	if err != nil {
		return 0, err
	}
	return g.deps.Ledger.Append(ctx, e)
}

// requestEvent builds the inference.request entry, sealing the prompt
// first when the tenant retains bodies.
func (g *Gateway) requestEvent(ctx context.Context, x *exchange) (ledger.Event, error) {
	body := requestEntry{
		RequestID:        x.id,
		KeyID:            x.caller.KeyID,
		API:              x.api,
		Route:            x.route,
		Stream:           x.stream,
		Messages:         x.messages,
		Inputs:           x.inputs,
		Tools:            x.tools,
		PromptBytes:      x.promptBytes,
		TokensEst:        x.estTokens,
		PromptHMAC:       keyedHash(g.tenantKey(x.caller.Tenant), x.promptTexts),
		Retention:        x.policy.Retention,
		Guard:            x.inputSummary(),
		DataClass:        x.dataClass,
		Consent:          x.consent,
		ModelVersion:     x.registryVersion,
		ModelDigest:      x.registryDigest,
		ProvidersSkipped: x.skipped,
	}
	if x.retains() {
		parts := make([]payloadPart, len(x.promptParts))
		copy(parts, x.promptParts)
		ref, mac, err := g.seal(ctx, x, "prompt", parts)
		if err != nil {
			return ledger.Event{}, err
		}
		body.PayloadRef, body.PayloadMAC = ref, mac
	}
	e, err := ledger.NewEvent("inference.request", x.caller.Tenant, x.actor(), body, x.subjects()...)
	if err != nil {
		return ledger.Event{}, err
	}
	e.Time = x.start
	return e, nil
}

// appendResponse records how the request ended. It runs after the answer
// went out, under a context the client cannot cancel.
func (g *Gateway) appendResponse(x *exchange) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	body := responseEntry{
		RequestID:        x.id,
		KeyID:            x.caller.KeyID,
		API:              x.api,
		Route:            x.route,
		Status:           x.status,
		LatencyUS:        x.latency.Microseconds(),
		TTFTUS:           x.ttft.Microseconds(),
		InputTokens:      x.usage.InputTokens,
		OutputTokens:     x.usage.OutputTokens,
		Provider:         x.served.provider,
		ProviderKind:     x.served.kind,
		Model:            x.served.model,
		ModelVersion:     x.modelVersion,
		Fallback:         x.served.fallback,
		Attempts:         x.served.attempts,
		StopReason:       x.stopReason,
		Cancelled:        x.cancelled,
		Error:            x.errKind,
		Refused:          x.refused,
		Guard:            x.inputSummary(),
		GuardOutput:      summarize(x.outputVerdict, x.outputVerdict.Action != ""),
		FailOpen:         x.failedOpen,
		DataClass:        x.dataClass,
		Consent:          x.consent,
		ProvidersSkipped: x.skipped,
	}
	if body.GuardOutput != nil {
		body.GuardOutput.Retried = x.guardRetried
	}
	if x.registryVersion != "" {
		body.UpstreamModel, body.ModelVersion, body.ModelDigest = x.modelVersion, x.registryVersion, x.registryDigest
	}
	if x.requestIndexOK {
		body.RequestIndex = &x.requestIndex
	}
	if x.respHash != nil {
		body.ResponseHMAC = hex.EncodeToString(x.respHash.Sum(nil))
	}
	if x.retains() && x.respText != nil {
		ref, mac, err := g.seal(ctx, x, "response", []payloadPart{{Role: chat.RoleAssistant, Text: x.respText.String()}})
		if err != nil {
			g.log.Error("seal response payload", "request_id", x.id, "err", err)
		} else {
			body.PayloadRef, body.PayloadMAC = ref, mac
		}
	}
	e, err := ledger.NewEvent("inference.response", x.caller.Tenant, x.actor(), body, x.subjects()...)
	if err == nil {
		// Nothing waits on this entry, so a ledger that can defers it to
		// the next group commit rather than paying a commit of its own.
		if d, ok := g.deps.Ledger.(ledger.Deferrer); ok {
			err = d.AppendDeferred(ctx, e)
		} else {
			_, err = g.deps.Ledger.Append(ctx, e)
		}
	}
	if err != nil {
		g.metrics.auditFails.WithLabelValues("inference.response", boolLabel(x.policy.FailOpen)).Inc()
		g.log.Error("record inference response", "request_id", x.id, "tenant", x.caller.Tenant, "err", err)
	}
}

func boolLabel(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// newResponseHash starts the keyed hash of an answer.
func (g *Gateway) newResponseHash(tenant string) hash.Hash {
	return hmac.New(sha256.New, g.tenantKey(tenant))
}
