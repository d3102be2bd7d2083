package chat

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s to b as a JSON string. The stream encoders build
// their small event objects by hand with it, which is several times faster
// than encoding/json for the hot path.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 break JavaScript parsers of JSON text.
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendInt appends n in decimal.
func AppendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// UnescapeHTML rewrites the \u003c, \u003e and \u0026 escapes inside the
// strings of JSON text s as the characters they stand for. Encoders such
// as Go's escape these by default; undoing it lets placeholders like
// <EMAIL_T1> in tool-call arguments be found. Every other byte, and any
// text that is not JSON, is left as it is.
func UnescapeHTML(s string) string {
	i := strings.Index(s, `\u00`)
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	in := false
	for i = 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			in = !in
		case c == '\\' && in && i+1 < len(s):
			if s[i+1] == 'u' && i+5 < len(s) {
				if r := htmlEscape(s[i+2 : i+6]); r != 0 {
					b = append(b, r)
					i += 5
					continue
				}
			}
			b = append(b, c, s[i+1])
			i++
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

func htmlEscape(hex string) byte {
	switch strings.ToLower(hex) {
	case "003c":
		return '<'
	case "003e":
		return '>'
	case "0026":
		return '&'
	}
	return 0
}
