package pii

import "bytes"

// Context words raise a finding's score when they appear shortly before or
// after it, in the manner of Presidio's context enhancer.
const (
	contextBefore = 64 // bytes of text examined before a finding
	contextAfter  = 32 // bytes examined after it
	contextBoost  = 0.35
	contextFloor  = 0.4 // the least score a finding with context gets
)

var contextWords = map[Type][]string{
	Email:          {"email", "e-mail", "mail", "contact"},
	Phone:          {"phone", "call", "tel", "mobile", "cell", "fax", "office", "desk", "contact", "number", "dial", "reach", "text", "sms", "whatsapp", "answering", "messages", "registered", "ring"},
	CreditCard:     {"card", "credit", "debit", "visa", "mastercard", "amex", "cc", "payment", "pan", "charge"},
	IBAN:           {"iban", "bank", "account", "transfer", "wire", "sepa"},
	CryptoWallet:   {"wallet", "bitcoin", "btc", "ethereum", "eth", "crypto", "send", "address"},
	SSN:            {"ssn", "social security", "social sec", "ss#", "ss #"},
	ITIN:           {"itin", "taxpayer", "tax id", "tin"},
	Passport:       {"passport"},
	DriverLicense:  {"driver", "licence", "license", "driving", "dl#", "dl #", "dl:", "dln"},
	IPAddress:      {"ip", "address", "host", "server", "client"},
	MACAddress:     {"mac", "hardware", "ethernet", "wifi", "nic"},
	DateOfBirth:    {"born", "birth", "dob", "d.o.b", "birthday", "bday", "b-day"},
	Secret:         {"password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "api-key", "api key", "access_key", "private_key", "auth", "bearer", "credential", "key=", "key:"},
	AWSKey:         {"aws", "secret_access_key", "secretaccesskey"},
	URLCredentials: nil,
}

// hasContext reports whether one of words appears near [start, end) of t,
// in any case. A word must start at a word boundary so that "recall" does
// not count as "call".
func hasContext(t string, start, end int, words []string) bool {
	if len(words) == 0 {
		return false
	}
	var buf [contextBefore + contextAfter]byte
	before := appendLowerASCII(buf[:0], t[max(0, start-contextBefore):start])
	after := appendLowerASCII(buf[len(before):len(before)], t[end:min(len(t), end+contextAfter)])
	for _, w := range words {
		if containsWord(before, w) || containsWord(after, w) {
			return true
		}
	}
	return false
}

// appendLowerASCII appends s with its ASCII capitals lowered.
func appendLowerASCII(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// containsWord reports whether w occurs in s at the start of a word.
func containsWord(s []byte, w string) bool {
	for off := 0; off+len(w) <= len(s); {
		i := bytes.Index(s[off:], []byte(w))
		if i < 0 {
			return false
		}
		i += off
		if i == 0 || !isAlnum(s[i-1]) {
			return true
		}
		off = i + 1
	}
	return false
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// boost applies the context rule to a base score.
func boost(score float64, ctx bool) float64 {
	if !ctx {
		return score
	}
	return min(1, max(contextFloor, score+contextBoost))
}
