// Package pii finds personal data and secrets in text and rewrites it
// according to a per-tenant policy: typed placeholders, masks, keyed hashes,
// reversible tokens, or a verdict to block.
//
// Every detector is linear in the length of its input. A byte-level
// prefilter decides which small windows of the text deserve a regular
// expression at all, so ordinary prose costs little more than one pass over
// its bytes.
package pii

import "slices"

// Type names a kind of personal data or secret.
type Type string

// The entity types the scanner knows.
const (
	Email          Type = "EMAIL"
	Phone          Type = "PHONE"
	CreditCard     Type = "CREDIT_CARD"
	IBAN           Type = "IBAN"
	CryptoWallet   Type = "CRYPTO_WALLET"
	SSN            Type = "US_SSN"
	ITIN           Type = "US_ITIN"
	Passport       Type = "US_PASSPORT"
	DriverLicense  Type = "US_DRIVER_LICENSE"
	IPAddress      Type = "IP_ADDRESS"
	MACAddress     Type = "MAC_ADDRESS"
	URLCredentials Type = "URL_WITH_CREDENTIALS"
	DateOfBirth    Type = "DATE_OF_BIRTH"
	AWSKey         Type = "AWS_KEY"
	OpenAIKey      Type = "OPENAI_KEY"
	AnthropicKey   Type = "ANTHROPIC_KEY"
	GitHubToken    Type = "GITHUB_TOKEN"
	SlackToken     Type = "SLACK_TOKEN"
	JWT            Type = "JWT"
	PrivateKey     Type = "PRIVATE_KEY"
	Secret         Type = "SECRET"
	Person         Type = "PERSON"
	Location       Type = "LOCATION"
	Address        Type = "ADDRESS"
)

var allTypes = []Type{
	Email, Phone, CreditCard, IBAN, CryptoWallet, SSN, ITIN, Passport, DriverLicense,
	IPAddress, MACAddress, URLCredentials, DateOfBirth,
	AWSKey, OpenAIKey, AnthropicKey, GitHubToken, SlackToken, JWT, PrivateKey, Secret,
	Person, Location, Address,
}

// Types returns every entity type the scanner knows, in a stable order.
func Types() []Type { return slices.Clone(allTypes) }

// Valid reports whether t is a known entity type.
func (t Type) Valid() bool { return slices.Contains(allTypes, t) }

// IsSecret reports whether t is a credential rather than personal data.
func (t Type) IsSecret() bool {
	switch t {
	case AWSKey, OpenAIKey, AnthropicKey, GitHubToken, SlackToken, JWT, PrivateKey, Secret, URLCredentials:
		return true
	}
	return false
}

// Finding is one detected entity. Start and End are byte offsets into the
// scanned text; the value itself is never stored here so that findings can
// be logged and counted safely.
type Finding struct {
	Type  Type    `json:"type"`
	Start int     `json:"start"`
	End   int     `json:"end"`
	Score float64 `json:"score"`
}

// Counts tallies findings by type.
func Counts(fs []Finding) map[Type]int {
	if len(fs) == 0 {
		return nil
	}
	m := make(map[Type]int)
	for _, f := range fs {
		m[f.Type]++
	}
	return m
}
