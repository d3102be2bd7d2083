package pii

import (
	"encoding/base64"
	"net/netip"
	"regexp"
	"strings"
)

var (
	reEmail   = regexp.MustCompile(`[\pL\pN._%+\-]+@[\pL\pN\-]+(?:\.[\pL\pN\-]+)*\.\pL{2,24}`)
	reURLCred = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.\-]{1,15}://[^\s/:@]+:[^\s/@]+@[A-Za-z0-9.\-\[\]:]+`)
	reIPv6    = regexp.MustCompile(`[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%[0-9A-Za-z]+)?`)
	reMAC     = regexp.MustCompile(`[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}`)
	reAWS     = regexp.MustCompile(`^(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}$`)
	reAnth    = regexp.MustCompile(`^sk-ant-(?:api|admin|sid|oat)\d{2}-[A-Za-z0-9_\-]{32,}$`)
	reOpenAI  = regexp.MustCompile(`^sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}$`)
	reGitHub  = regexp.MustCompile(`^(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255})$`)
	reSlack   = regexp.MustCompile(`^xox[abposre]-[A-Za-z0-9\-]{10,}$`)
	reJWT     = regexp.MustCompile(`^eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{8,}$`)
	reCrypto  = regexp.MustCompile(`^(?:[13][1-9A-HJ-NP-Za-km-z]{25,34}|(?:bc1|tb1|BC1|TB1|ltc1)[0-9A-Za-z]{11,87}|0[xX][0-9a-fA-F]{40})$`)
)

// atWord looks for e-mail addresses and URLs with credentials in a word
// holding an @.
func (sc *scan) atWord(ws, we int) {
	t := sc.t
	sc.ops += 2 * (we - ws)
	w := t[ws:we]
	if sc.s.enabled[URLCredentials] && strings.Contains(w, "://") {
		for _, m := range reURLCred.FindAllStringIndex(w, -1) {
			sc.add(URLCredentials, ws+m[0], ws+m[1], 0.95)
		}
	}
	if sc.s.enabled[Email] {
		for _, m := range reEmail.FindAllStringIndex(w, -1) {
			s, e := ws+m[0], ws+m[1]
			local := t[s : strings.IndexByte(t[s:e], '@')+s]
			if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
				continue
			}
			sc.add(Email, s, e, 0.95)
		}
	}
}

// colonWord looks for IPv6 and MAC addresses in a word holding a colon.
func (sc *scan) colonWord(ws, we int) {
	t := sc.t
	sc.ops += 2 * (we - ws)
	w := t[ws:we]
	if sc.s.enabled[IPAddress] && strings.Count(w, ":") >= 2 {
		for _, m := range reIPv6.FindAllStringIndex(w, -1) {
			s, e := ws+m[0], ws+m[1]
			v := t[s:e]
			if strings.Count(v, ":") < 2 || len(strings.Trim(v, ":")) < 3 || !bounded(t, s, e) {
				continue
			}
			if a, err := netip.ParseAddr(v); err == nil && a.Is6() {
				sc.add(IPAddress, s, e, boost(0.7, hasContext(t, s, e, contextWords[IPAddress])))
			}
		}
	}
	if sc.s.enabled[MACAddress] && we-ws >= 14 {
		sc.mac(ws, we)
	}
}

func (sc *scan) mac(ws, we int) {
	t := sc.t
	for _, m := range reMAC.FindAllStringIndex(t[ws:we], -1) {
		s, e := ws+m[0], ws+m[1]
		if bounded(t, s, e) && (e >= len(t) || t[e] != ':') {
			sc.add(MACAddress, s, e, boost(0.7, hasContext(t, s, e, contextWords[MACAddress])))
		}
	}
}

// tokenWord checks the long tokens inside a word against the secret
// formats, crypto wallets and, near a context word, a generic entropy test.
func (sc *scan) tokenWord(ws, we int) {
	t := sc.t
	sc.ops += 3 * (we - ws)
	en := sc.s.enabled
	if en[MACAddress] && strings.Count(t[ws:we], ".") >= 2 && strings.IndexByte(t[ws:we], ':') < 0 {
		sc.mac(ws, we) // Cisco style aaaa.bbbb.cccc has no colon
	}
	if en[Secret] {
		sc.passwordValue(ws, we)
	}
	// Runs of at least 16 token characters, with up to two '=' of
	// padding: what [A-Za-z0-9_\-+/.~]{16,}={0,2} matches, found in one
	// pass.
	for i := ws; i < we; {
		for i < we && !tokenByte(t[i]) {
			i++
		}
		s := i
		for i < we && tokenByte(t[i]) {
			i++
		}
		if i-s < 16 {
			continue
		}
		for k := 0; k < 2 && i < we && t[i] == '='; k++ {
			i++
		}
		e := i
		// Trailing sentence punctuation is not part of a token.
		for e > s && (t[e-1] == '.' || t[e-1] == '-') {
			e--
		}
		if e-s < 16 {
			continue
		}
		sc.token(s, e)
	}
}

func (sc *scan) token(s, e int) {
	t := sc.t
	v := t[s:e]
	en := sc.s.enabled
	switch {
	case strings.HasPrefix(v, "sk-ant-"):
		if reAnth.MatchString(v) {
			sc.add(AnthropicKey, s, e, 0.95)
		}
		return
	case strings.HasPrefix(v, "sk-"):
		if reOpenAI.MatchString(v) {
			score := 0.8
			if strings.Contains(v, "T3BlbkFJ") || strings.HasPrefix(v, "sk-proj-") || strings.HasPrefix(v, "sk-svcacct-") {
				score = 0.95
			}
			sc.add(OpenAIKey, s, e, score)
		}
		return
	case strings.HasPrefix(v, "gh") && len(v) >= 40 && v[3] == '_', strings.HasPrefix(v, "github_pat_"):
		if reGitHub.MatchString(v) {
			sc.add(GitHubToken, s, e, 0.95)
		}
		return
	case strings.HasPrefix(v, "xox"):
		if reSlack.MatchString(v) {
			sc.add(SlackToken, s, e, 0.9)
		}
		return
	case strings.HasPrefix(v, "eyJ"):
		if reJWT.MatchString(v) {
			sc.add(JWT, s, e, jwtScore(v))
		}
		return
	case strings.Contains(v, "hooks.slack.com/services/"):
		sc.add(SlackToken, s, e, 0.9)
		return
	}
	if len(v) == 20 && reAWS.MatchString(v) {
		sc.add(AWSKey, s, e, 0.95)
		return
	}
	if en[CryptoWallet] && len(v) >= 26 && len(v) <= 90 && strings.IndexByte("13btlBTL0", v[0]) >= 0 && reCrypto.MatchString(v) {
		if score := walletScore(v); score > 0 {
			sc.add(CryptoWallet, s, e, boost(score, hasContext(t, s, e, contextWords[CryptoWallet])))
			return
		}
	}
	if (en[Secret] || en[AWSKey]) && looksRandom(v) {
		if hasContext(t, s, e, contextWords[Secret]) || hasContext(t, s, e, contextWords[AWSKey]) {
			typ := Secret
			if len(v) == 40 && hasContext(t, s, e, contextWords[AWSKey]) {
				typ = AWSKey
			}
			sc.add(typ, s, e, 0.75)
		}
	}
}

// tokenByte reports whether c may be part of a token: a letter, a digit
// or one of "_-+/.~".
func tokenByte(c byte) bool {
	return class[c]&(cUpper|cLower|cDigit) != 0 || c != '=' && class[c]&cSecretPunct != 0
}

// passwordValue catches a credential written with punctuation that the
// token pattern splits ("password: \"Zq8#mP2v!L9x\""): the part of the word
// after its last = or :, stripped of quotes, when it mixes letters, digits
// and symbols and a secret context word is near.
func (sc *scan) passwordValue(ws, we int) {
	t := sc.t
	s, e := ws, we
	if i := strings.LastIndexAny(t[s:e], "=:"); i >= 0 {
		s += i + 1
	}
	for s < e && strings.IndexByte("\"'`([{", t[s]) >= 0 {
		s++
	}
	for e > s && strings.IndexByte("\"'`)]},;.", t[e-1]) >= 0 {
		e--
	}
	v := t[s:e]
	if len(v) < 10 || len(v) > 200 || !strings.ContainsAny(v, "!#$%&*?@^") {
		return
	}
	var lower, upper, digit bool
	for i := 0; i < len(v); i++ {
		c := v[i]
		lower = lower || c >= 'a' && c <= 'z'
		upper = upper || c >= 'A' && c <= 'Z'
		digit = digit || c >= '0' && c <= '9'
	}
	if lower && digit && (upper || entropy(v) >= 3.2) && hasContext(t, s, e, contextWords[Secret]) {
		sc.add(Secret, s, e, 0.75)
	}
}

// jwtScore is high when the first segment decodes to a JSON header that
// names an algorithm.
func jwtScore(v string) float64 {
	head := v[:strings.IndexByte(v, '.')]
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(head, "="))
	if err == nil && strings.Contains(string(b), `"alg"`) {
		return 0.95
	}
	return 0.6
}

func walletScore(v string) float64 {
	switch {
	case v[0] == '1' || v[0] == '3':
		if validBase58Check(v) {
			return 0.95
		}
	case v[0] == '0':
		if ok, checked := ethChecksum(v); ok {
			if checked {
				return 0.95
			}
			return 0.6
		}
	default:
		if validBech32(v) {
			return 0.95
		}
	}
	return 0
}

// looksRandom reports whether a token has the character mix and entropy of
// a generated secret rather than of a word, path or number.
func looksRandom(v string) bool {
	var lower, upper, digit, other int
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= 'a' && c <= 'z':
			lower++
		case c >= 'A' && c <= 'Z':
			upper++
		case c >= '0' && c <= '9':
			digit++
		default:
			other++
		}
	}
	if digit == len(v) || strings.Count(v, "/") > 2 || strings.Count(v, ".") > 2 {
		return false
	}
	classes := 0
	for _, n := range []int{lower, upper, digit} {
		if n > 0 {
			classes++
		}
	}
	h := entropy(v)
	isHex := lower+upper+digit == len(v) && strings.Trim(strings.ToLower(v), "0123456789abcdef") == ""
	if isHex && len(v) >= 32 {
		return h >= 3.0
	}
	// Without digits only a long, mixed-case, high-entropy string passes
	// (base64 secrets such as AWS secret keys).
	return classes >= 2 && h >= 3.5 && (digit > 0 || upper > 0 && lower > 0 && len(v) >= 30 && h >= 4.0)
}

// pem finds PEM private key blocks, with or without their END line. The
// search for END lines only moves forward, so many BEGIN lines without an
// END cost no more than one pass.
func (sc *scan) pem() {
	t := sc.t
	nextEnd := -1 // position of the next "-----END " at or after the cursor
	for off := 0; ; {
		i := strings.Index(t[off:], "-----BEGIN ")
		if i < 0 {
			return
		}
		s := off + i
		off = s + 11
		rest := t[off:min(len(t), off+64)]
		j := strings.Index(rest, "-----")
		if j < 0 || !strings.HasSuffix(strings.TrimSuffix(rest[:j], " BLOCK"), "PRIVATE KEY") {
			continue
		}
		label := rest[:j]
		bodyStart := off + j + 5
		if nextEnd < bodyStart {
			nextEnd = -1
			if k := strings.Index(t[bodyStart:], "-----END "); k >= 0 {
				nextEnd = bodyStart + k
			}
		}
		footer := "-----END " + label + "-----"
		var e int
		if nextEnd >= 0 && strings.HasPrefix(t[nextEnd:], footer) {
			e = nextEnd + len(footer)
		} else {
			// A truncated key is still a leak: take the base64 body.
			e = bodyStart
			for e < len(t) && (isAlnum(t[e]) || strings.IndexByte("+/=\r\n \t:-,", t[e]) >= 0) {
				if t[e] == '-' && strings.HasPrefix(t[e:], "-----") {
					break
				}
				e++
			}
		}
		sc.add(PrivateKey, s, e, 1)
		sc.ops += e - s
		off = max(off, e)
	}
}
