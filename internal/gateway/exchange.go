package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"hash"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/gateway/responses"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/limits"
)

// API names used in audit entries, metrics and logs.
const (
	apiChat        = "openai.chat_completions"
	apiResponses   = "openai.responses"
	apiMessages    = "anthropic.messages"
	apiCountTokens = "anthropic.count_tokens"
	apiInputTokens = "openai.input_tokens"
	apiEmbeddings  = "openai.embeddings"
	apiModels      = "models"
)

// exchange is everything the gateway tracks about one request. It holds
// prompt text only for as long as the request runs.
type exchange struct {
	id     string
	start  time.Time
	api    string
	proto  chat.Protocol
	addr   netip.Addr
	caller Caller
	policy Policy
	route  string
	stream bool
	// echo is what a Responses API answer repeats of its request; nil
	// for the other APIs.
	echo *responses.Echo

	messages, inputs, tools int
	promptBytes, estTokens  int
	// reserveTokens is what admission counts against token limits until
	// the answer's real count replaces it: the prompt and the most the
	// answer may take, so concurrent requests cannot overrun a budget.
	reserveTokens int
	promptTexts   []string
	promptParts   []payloadPart
	lastPrompt    string

	subject    ledger.Ref
	hasSubject bool

	inputVerdict, outputVerdict GuardVerdict
	// guarded says a guard looked at the request, so the audit entry
	// carries its verdict (scanned or not).
	guarded bool
	// unscannedParts counts request parts no guard can read (images,
	// content kinds only forwarded raw).
	unscannedParts int
	guardRetried   bool

	consent         string
	dataClass       string
	skipped         []skippedProvider
	registryVersion string
	registryDigest  string

	ticket     *limits.Ticket
	retryAfter time.Duration

	requestIndex   uint64
	requestIndexOK bool
	failedOpen     bool

	served       served
	modelVersion string
	usage        chat.Usage
	stopReason   string
	respHash     hash.Hash
	respText     *strings.Builder

	status    int
	latency   time.Duration
	ttft      time.Duration
	cancelled bool
	errKind   string
	refused   string
	// audited is set once the request is known to a tenant, so its end is
	// recorded.
	audited bool
}

var (
	idPrefix  = newIDPrefix()
	idCounter atomic.Uint64
)

func newIDPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "req_" + hex.EncodeToString(b)
}

// responsesMeta names and dates the response object of a Responses API
// request after the request itself, so its id leads to the audit entries.
func (x *exchange) responsesMeta() responses.Meta {
	return responses.Meta{ID: "resp_" + strings.TrimPrefix(x.id, "req_"), Created: x.start.Unix(), Echo: x.echo}
}

// newRequestID returns a process-unique request id without a system call.
func newRequestID() string {
	return idPrefix + strconv.FormatUint(idCounter.Add(1), 36)
}
