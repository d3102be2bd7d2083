package pii

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var allScanner = MustScanner(Options{})

// findType returns the text of the findings of type t in s.
func findType(s string, t Type) []string {
	var out []string
	for _, f := range allScanner.Scan(s) {
		if f.Type == t {
			out = append(out, s[f.Start:f.End])
		}
	}
	return out
}

func TestScanTypes(t *testing.T) {
	tests := []struct {
		name string
		typ  Type
		text string
		want []string // exact values expected; nil means none
	}{
		{"email", Email, "write to jane.doe+news@mail.example.co.uk today", []string{"jane.doe+news@mail.example.co.uk"}},
		{"email negative", Email, "the version is v1.2@latest or @home", nil},
		{"phone international", Phone, "Call +44 20 7946 0958 now.", []string{"+44 20 7946 0958"}},
		{"phone nanp", Phone, "my number: (415) 555-2671", []string{"(415) 555-2671"}},
		{"phone with context", Phone, "mobile: 0688 843 79 56", []string{"0688 843 79 56"}},
		{"phone negative date", Phone, "on 2023-11-05 12:30 we met", nil},
		{"phone negative bare number", Phone, "the total was 12345678 units", nil},
		{"card", CreditCard, "card 4111 1111 1111 1111 exp 12/29", []string{"4111 1111 1111 1111"}},
		{"card bad luhn", CreditCard, "card 4111 1111 1111 1112", nil},
		{"iban spaced", IBAN, "IBAN: GB82 WEST 1234 5698 7654 32.", []string{"GB82 WEST 1234 5698 7654 32"}},
		{"iban compact", IBAN, "pay DE89370400440532013000 please", []string{"DE89370400440532013000"}},
		{"iban bad checksum", IBAN, "pay DE89370400440532013001", nil},
		{"ssn", SSN, "SSN 536-22-1234", []string{"536-22-1234"}},
		{"ssn invalid area", SSN, "SSN 666-22-1234", nil},
		{"ssn plain needs context", SSN, "ref 536221234", nil},
		{"ssn plain with context", SSN, "my ssn is 536221234", []string{"536221234"}},
		{"itin", ITIN, "ITIN 912-71-1234", []string{"912-71-1234"}},
		{"passport", Passport, "passport number 123456789", []string{"123456789"}},
		{"passport needs context", Passport, "order number 123456789", nil},
		{"driver licence", DriverLicense, "driver's license F162823540116", []string{"F162823540116"}},
		{"ipv4", IPAddress, "from 192.168.1.20 to 10.0.0.1", []string{"192.168.1.20", "10.0.0.1"}},
		{"ipv4 out of range", IPAddress, "version 300.1.2.3", nil},
		{"ipv6", IPAddress, "host 2001:db8::8a2e:370:7334 up", []string{"2001:db8::8a2e:370:7334"}},
		{"time is not ipv6", IPAddress, "at 12:30:45 sharp", nil},
		{"mac", MACAddress, "nic 00:1A:2B:3C:4D:5E ok", []string{"00:1A:2B:3C:4D:5E"}},
		{"url credentials", URLCredentials, "db postgres://admin:s3cret@db.internal:5432/app", []string{"postgres://admin:s3cret@db.internal:5432"}},
		{"dob", DateOfBirth, "She was born on March 3, 1990 in Oslo", []string{"March 3, 1990"}},
		{"date without context", DateOfBirth, "The meeting is on March 3, 1990", nil},
		{"aws", AWSKey, "key AKIAIOSFODNN7EXAMPLE", []string{"AKIAIOSFODNN7EXAMPLE"}},
		{"aws secret", AWSKey, "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", []string{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}},
		{"openai", OpenAIKey, "OPENAI_API_KEY=sk-proj-abcDEF1234567890abcdEFGH5678ijkl", []string{"sk-proj-abcDEF1234567890abcdEFGH5678ijkl"}},
		{"anthropic", AnthropicKey, "sk-ant-api03-" + strings.Repeat("aB3_", 24), []string{"sk-ant-api03-" + strings.Repeat("aB3_", 24)}},
		{"github", GitHubToken, "token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", []string{"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"}},
		{"slack", SlackToken, "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", []string{"xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"}},
		{"jwt", JWT, "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", []string{"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"}},
		{"pem", PrivateKey, "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----", []string{"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----"}},
		{"pem public is fine", PrivateKey, "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----", nil},
		{"generic secret", Secret, `password: "Zq8#mP2vL9xR4tW7"`, []string{`Zq8#mP2vL9xR4tW7`}},
		{"generic secret token", Secret, "api_key=Zq8mP2vL9xR4tW7kQ3n", []string{"Zq8mP2vL9xR4tW7kQ3n"}},
		{"random string without context", Secret, "build Zq8mP2vL9xR4tW7kQ3n done", nil},
		{"btc", CryptoWallet, "send to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", []string{"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"}},
		{"eth", CryptoWallet, "wallet 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", []string{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}},
		{"person", Person, "My name is Teresa Kreutzmann and I work here.", []string{"Teresa Kreutzmann"}},
		{"location", Location, "I will be travelling to Germany next week.", []string{"Germany"}},
		{"address", Address, "Please send it to 2437 Main St, thanks", []string{"2437 Main St"}},
		{"capitalised words are not names", Person, "Capitalized words like Wisdom and Discipline are common.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findType(tt.text, tt.typ)
			if len(tt.want) == 0 && len(got) == 0 {
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s in %q: got %q, want %q (all findings %+v)", tt.typ, tt.text, got, tt.want, allScanner.Scan(tt.text))
			}
		})
	}
}

func TestScanEvasion(t *testing.T) {
	tests := []struct {
		name, text string
		typ        Type
	}{
		{"zero-width in email", "mail j\u200bohn@ex\u200cample.com", Email},
		{"cyrillic in email", "mail john@ex\u0430mple.com", Email},
		{"fullwidth ssn", "ssn \uff15\uff13\uff16-\uff12\uff12-\uff11\uff12\uff13\uff14", SSN},
		{"zero-width in card", "card 4111\u200b1111\u200b1111\u200b1111", CreditCard},
		{"soft hyphens in key", "AKIA\u00adIOSFODNN7EXAMPLE", AWSKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := allScanner.Scan(tt.text)
			i := slices.IndexFunc(fs, func(f Finding) bool { return f.Type == tt.typ })
			if i < 0 {
				t.Fatalf("no %s found in %q: %+v", tt.typ, tt.text, fs)
			}
			// The span covers the original bytes, evasion characters included.
			if got := tt.text[fs[i].Start:fs[i].End]; !utf8.ValidString(got) {
				t.Errorf("finding splits a character: %q", got)
			}
		})
	}
}

func TestScanBadInput(t *testing.T) {
	// Invalid UTF-8 around an entity.
	text := "\xff\xfe jane@example.com \xc3"
	if got := findType(text, Email); !slices.Equal(got, []string{"jane@example.com"}) {
		t.Errorf("invalid UTF-8: got %q", got)
	}
	// A 1 MB single-line prompt with an entity at its very end.
	long := strings.Repeat("lorem ipsum dolor sit amet ", 40000) + "mail bob@example.org"
	if got := findType(long, Email); !slices.Equal(got, []string{"bob@example.org"}) {
		t.Errorf("1 MB line: got %q", got)
	}
	// One 1 MB word.
	word := strings.Repeat("A", 1<<20)
	_ = allScanner.Scan(word)
}

func TestPlaceholdersAreNotRescanned(t *testing.T) {
	if fs := allScanner.Scan("Dear <PERSON_1>, your card <CREDIT_CARD_2> and <PERSON_T3> are safe"); len(fs) != 0 {
		t.Errorf("placeholders were detected again: %+v", fs)
	}
}

func TestNewScannerRejectsUnknownType(t *testing.T) {
	if _, err := NewScanner(Options{Types: []Type{"SHOE_SIZE"}}); err == nil {
		t.Fatal("unknown type accepted")
	}
}

func FuzzScan(f *testing.F) {
	for _, s := range []string{
		"", "jane@example.com", "call +1 415-555-0132", "4111 1111 1111 1111", "GB82 WEST 1234 5698 7654 32",
		"My name is Teresa Kreutzmann", "-----BEGIN RSA PRIVATE KEY-----\nabc", "2437 Main St\n Apt. 4\n Springfield",
		"\xff\xfe\x00", "j\u200bohn@ex\u0430mple.com", "born 1990-01-02", "<PERSON_1>", "a@b@c@d.ee", "1 2 3 4 5 6 7 8 9",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fs := allScanner.Scan(s)
		last := 0
		for _, x := range fs {
			if !x.Type.Valid() || x.Start < last || x.End <= x.Start || x.End > len(s) || x.Score <= 0 || x.Score > 1 {
				t.Fatalf("bad finding %+v in %q (previous end %d)", x, s, last)
			}
			last = x.End
		}
	})
}

// TestAddressShapes covers street shapes and what follows them.
func TestAddressShapes(t *testing.T) {
	for _, tt := range []struct {
		text      string
		addresses []string
		places    []string
	}{
		// A lone town after an inline street is a place of its own.
		{"Kevin lives at 86036 Rua do Arenque 1634, Goiânia", []string{"86036 Rua do Arenque 1634"}, []string{"Goiânia"}},
		// A full postal tail stays in the address.
		{"The office is at 5586 Main Street 31, Arnsdorf, Germany 12345.", []string{"5586 Main Street 31, Arnsdorf, Germany 12345"}, nil},
		// A street type that leads its name, after a house number.
		{"The letter arrived at 1812 Rue De La Gare yesterday.", []string{"1812 Rue De La Gare"}, nil},
	} {
		if got := findType(tt.text, Address); !slices.Equal(got, tt.addresses) {
			t.Errorf("addresses in %q: got %q, want %q", tt.text, got, tt.addresses)
		}
		if got := findType(tt.text, Location); !slices.Equal(got, tt.places) {
			t.Errorf("places in %q: got %q, want %q", tt.text, got, tt.places)
		}
	}
}
