package chat

import (
	"encoding/json"
	"io"
)

// errEOF is io.EOF under a short name for the stream helpers.
var errEOF = io.EOF

// EmbedRequest is an embeddings request. Embeddings exist only in the
// OpenAI protocol, so the raw body is kept for same-protocol forwarding.
type EmbedRequest struct {
	Model string
	// Inputs holds the text inputs; token-array inputs are kept only in Raw.
	Inputs         []string
	TokenInputs    int
	Dimensions     int
	EncodingFormat string
	User           string
	// Raw is the body as received, forwarded with the model replaced;
	// Fields are its top-level members, for rebuilding it when that fails.
	Raw    []byte
	Fields map[string]json.RawMessage
}

// EmbedResponse is the answer to an embeddings request.
type EmbedResponse struct {
	Model   string
	Vectors [][]float32
	Usage   Usage
	// Raw is the upstream body when it can be forwarded as is.
	Raw []byte
}
