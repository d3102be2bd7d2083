package signing

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// Identifiers fixed by in-toto and OMS 1.0.
const (
	StatementType = "https://in-toto.io/Statement/v1"
	PredicateType = "https://model_signing/signature/v1.0"
	PayloadType   = "application/vnd.in-toto+json"
)

// Statement is an in-toto v1 statement carrying the OMS predicate.
type Statement struct {
	Type          string    `json:"_type"`
	Subject       []Subject `json:"subject"`
	PredicateType string    `json:"predicateType"`
	Predicate     Manifest  `json:"predicate"`
}

// Subject names the model and its root digest.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// newStatement wraps a manifest; the subject is the model name and root
// digest (OMS 1.0, section 6.5).
func newStatement(m *Manifest) (*Statement, error) {
	root, err := m.RootDigest()
	if err != nil {
		return nil, err
	}
	return &Statement{
		Type:          StatementType,
		Subject:       []Subject{{Name: m.Name, Digest: map[string]string{HashSHA256: root}}},
		PredicateType: PredicateType,
		Predicate:     *m,
	}, nil
}

// RootDigest returns the subject's SHA-256 root digest.
func (s *Statement) RootDigest() string { return s.Subject[0].Digest[HashSHA256] }

// parseStatement decodes a DSSE payload and checks it against OMS 1.0,
// section 8.3, including that the root digest covers the resources.
func parseStatement(payload []byte) (*Statement, error) {
	// Unknown fields are ignored, as OMS asks of verifiers.
	var s Statement
	if err := json.Unmarshal(payload, &s); err != nil {
		return nil, fmt.Errorf("statement is not a valid in-toto statement: %w", err)
	}
	if s.Type != StatementType {
		return nil, fmt.Errorf("statement _type is %q, want %q", s.Type, StatementType)
	}
	if s.PredicateType != PredicateType {
		return nil, fmt.Errorf("statement predicateType is %q, want %q: this is not an OMS model signature", s.PredicateType, PredicateType)
	}
	if len(s.Subject) != 1 {
		return nil, fmt.Errorf("statement has %d subjects, OMS requires exactly one", len(s.Subject))
	}
	root := s.Subject[0].Digest[HashSHA256]
	if s.Subject[0].Name == "" || !isHex(root, 32) {
		return nil, fmt.Errorf("statement subject needs a name and a sha256 root digest of 64 hex digits")
	}
	if err := checkManifest(&s.Predicate); err != nil {
		return nil, err
	}
	got, err := s.Predicate.RootDigest()
	if err != nil {
		return nil, err
	}
	if got != root {
		return nil, fmt.Errorf("statement is inconsistent: subject root digest %s but the resources hash to %s", root, got)
	}
	s.Predicate.Name = s.Subject[0].Name
	return &s, nil
}

// checkManifest validates the predicate body (OMS 1.0, section 5.2).
func checkManifest(m *Manifest) error {
	ser := &m.Serialization
	switch ser.Method {
	case MethodFiles:
		if ser.ShardSize != 0 {
			return fmt.Errorf("predicate has shard_size with method %q", MethodFiles)
		}
	case MethodShards:
		if ser.ShardSize <= 0 {
			return fmt.Errorf("predicate method %q needs a positive shard_size", MethodShards)
		}
	default:
		return fmt.Errorf("predicate serialization method %q is unknown", ser.Method)
	}
	if ser.HashType != HashSHA256 {
		return fmt.Errorf("predicate hash_type %q is not supported: only %q is", ser.HashType, HashSHA256)
	}
	for _, p := range ser.IgnorePaths {
		if _, err := canonicalIgnore(p); err != nil {
			return fmt.Errorf("predicate: %w", err)
		}
	}
	if len(m.Resources) == 0 {
		return fmt.Errorf("predicate lists no resources")
	}
	seen := make(map[string]bool, len(m.Resources))
	for _, r := range m.Resources {
		if r.Algorithm != ser.HashType || !isHex(r.Digest, 32) {
			return fmt.Errorf("resource %q needs a %s digest of 64 hex digits", r.Name, ser.HashType)
		}
		if seen[r.Name] {
			return fmt.Errorf("resource %q is listed twice", r.Name)
		}
		seen[r.Name] = true
		name := r.Name
		if ser.Method == MethodShards {
			p, _, _, err := parseShardName(r.Name)
			if err != nil {
				return err
			}
			name = p
		}
		if !canonicalName(name) {
			return fmt.Errorf("resource %q is not a canonical relative path", r.Name)
		}
	}
	return nil
}

// canonicalName reports whether name is a clean relative "/" path.
func canonicalName(name string) bool {
	return name != "" && !strings.HasPrefix(name, "/") && path.Clean(name) == name &&
		name != ".." && !strings.HasPrefix(name, "../")
}

func isHex(s string, n int) bool {
	if len(s) != 2*n || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
