package pii

import "testing"

func TestLuhn(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"4111111111111111", true}, {"4111111111111112", false}, {"378282246310005", true},
		{"6011111111111117", true}, {"5555555555554444", true}, {"1234567812345678", false},
		{"0", false}, {"79927398713", true}, {"7992739871x", false},
	} {
		if got := luhn(tt.in); got != tt.want {
			t.Errorf("luhn(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestValidIBAN(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"GB82WEST12345698765432", true}, {"GB82 WEST 1234 5698 7654 32", true}, {"gb82west12345698765432", true},
		{"DE89370400440532013000", true}, {"FR1420041010050500013M02606", true}, {"NL91ABNA0417164300", true},
		{"GB82WEST12345698765433", false}, {"DE8937040044053201300", false}, {"XX82WEST12345698765432", false},
		{"GB82WEST1234569876543!", false}, {"", false},
	} {
		if got := validIBAN(tt.in); got != tt.want {
			t.Errorf("validIBAN(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestValidSSNAndITIN(t *testing.T) {
	for _, tt := range []struct {
		in        string
		ssn, itin bool
	}{
		{"536221234", true, false}, {"000123456", false, false}, {"666123456", false, false},
		{"900701234", false, true}, {"912501234", false, true}, {"912931234", false, false},
		{"536001234", false, false}, {"536220000", false, false}, {"078051120", false, false},
		{"123456789", false, false}, {"999991234", false, true}, {"53622123", false, false},
	} {
		if got := validSSN(tt.in); got != tt.ssn {
			t.Errorf("validSSN(%q) = %v, want %v", tt.in, got, tt.ssn)
		}
		if got := validITIN(tt.in); got != tt.itin {
			t.Errorf("validITIN(%q) = %v, want %v", tt.in, got, tt.itin)
		}
	}
}

func TestWalletChecksums(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", true},
		{"3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", true},
		{"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", false},
		{"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", true},
		{"bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297", true},
		{"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr", false},
	} {
		if got := walletScore(tt.in) > 0; got != tt.want {
			t.Errorf("wallet %q valid = %v, want %v", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct {
		in             string
		valid, checked bool
	}{
		{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", true, true},
		{"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", true, true},
		{"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", true, false},
		{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", false, true},
		{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA", false, false},
	} {
		v, c := ethChecksum(tt.in)
		if v != tt.valid || c != tt.checked {
			t.Errorf("ethChecksum(%q) = %v, %v; want %v, %v", tt.in, v, c, tt.valid, tt.checked)
		}
	}
}

func TestEntropyAndLooksRandom(t *testing.T) {
	if e := entropy("aaaaaaaa"); e != 0 {
		t.Errorf("entropy of a repeated byte = %v", e)
	}
	if e := entropy("abcdefgh"); e != 3 {
		t.Errorf("entropy of 8 distinct bytes = %v, want 3", e)
	}
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true},
		{"hunter2hunter2hunter2", false},
		{"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", true},
		{"documentation-guidelines", false},
		{"1234567890123456789", false},
	} {
		if got := looksRandom(tt.in); got != tt.want {
			t.Errorf("looksRandom(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
