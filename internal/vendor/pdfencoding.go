package vendor

import (
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Glyph names of WinAnsiEncoding (ISO 32000-2, Annex D), split into the
// printable ASCII range, codes 128-159 and the Latin-1 range 160-255.
var (
	asciiGlyphs = strings.Fields(`space exclam quotedbl numbersign dollar percent ampersand quotesingle
		parenleft parenright asterisk plus comma hyphen period slash zero one two three four five six
		seven eight nine colon semicolon less equal greater question at A B C D E F G H I J K L M N O P Q
		R S T U V W X Y Z bracketleft backslash bracketright asciicircum underscore grave a b c d e f g h
		i j k l m n o p q r s t u v w x y z braceleft bar braceright asciitilde`)
	winHighGlyphs = strings.Fields(`Euro - quotesinglbase florin quotedblbase ellipsis dagger daggerdbl
		circumflex perthousand Scaron guilsinglleft OE - Zcaron - - quoteleft quoteright quotedblleft
		quotedblright bullet endash emdash tilde trademark scaron guilsinglright oe - zcaron Ydieresis`)
	winHighRunes = []rune("€\x00‚ƒ„…†‡ˆ‰Š‹Œ\x00Ž\x00\x00‘’“”•–—˜™š›œ\x00žŸ")
	latin1Glyphs = strings.Fields(`space exclamdown cent sterling currency yen brokenbar section dieresis
		copyright ordfeminine guillemotleft logicalnot hyphen registered macron degree plusminus
		twosuperior threesuperior acute mu paragraph periodcentered cedilla onesuperior ordmasculine
		guillemotright onequarter onehalf threequarters questiondown Agrave Aacute Acircumflex Atilde
		Adieresis Aring AE Ccedilla Egrave Eacute Ecircumflex Edieresis Igrave Iacute Icircumflex
		Idieresis Eth Ntilde Ograve Oacute Ocircumflex Otilde Odieresis multiply Oslash Ugrave Uacute
		Ucircumflex Udieresis Yacute Thorn germandbls agrave aacute acircumflex atilde adieresis aring ae
		ccedilla egrave eacute ecircumflex edieresis igrave iacute icircumflex idieresis eth ntilde
		ograve oacute ocircumflex otilde odieresis divide oslash ugrave uacute ucircumflex udieresis
		yacute thorn ydieresis`)
)

// standardHigh lists StandardEncoding's codes above 126 as code:name.
var standardHigh = strings.Fields(`161:exclamdown 162:cent 163:sterling 164:fraction 165:yen 166:florin
	167:section 168:currency 169:quotesingle 170:quotedblleft 171:guillemotleft 172:guilsinglleft
	173:guilsinglright 174:fi 175:fl 177:endash 178:dagger 179:daggerdbl 180:periodcentered
	182:paragraph 183:bullet 184:quotesinglbase 185:quotedblbase 186:quotedblright 187:guillemotright
	188:ellipsis 189:perthousand 191:questiondown 193:grave 194:acute 195:circumflex 196:tilde
	197:macron 198:breve 199:dotaccent 200:dieresis 202:ring 203:cedilla 205:hungarumlaut 206:ogonek
	207:caron 208:emdash 225:AE 227:ordfeminine 232:Lslash 233:Oslash 234:OE 235:ordmasculine 241:ae
	245:dotlessi 248:lslash 249:oslash 250:oe 251:germandbls`)

// extraGlyphs maps glyph names outside WinAnsi that real fonts use.
// Ligatures expand to their letters so that searches still match.
var extraGlyphs = map[string]string{
	"fi": "fi", "fl": "fl", "ff": "ff", "ffi": "ffi", "ffl": "ffl", "IJ": "IJ", "ij": "ij",
	"fraction": "⁄", "minus": "−", "dotlessi": "ı", "Lslash": "Ł", "lslash": "ł",
	"nbspace": " ", "nonbreakingspace": " ", "sfthyphen": "-", "softhyphen": "-",
	"breve": "˘", "dotaccent": "˙", "ring": "˚", "hungarumlaut": "˝", "ogonek": "˛", "caron": "ˇ",
	"Delta": "∆", "Omega": "Ω", "pi": "π", "mu1": "µ", "summation": "∑", "product": "∏",
	"radical": "√", "infinity": "∞", "integral": "∫", "approxequal": "≈", "notequal": "≠",
	"lessequal": "≤", "greaterequal": "≥", "lozenge": "◊", "partialdiff": "∂", "checkmark": "✓",
	"arrowright": "→", "arrowleft": "←", "arrowup": "↑", "arrowdown": "↓", "openbullet": "◦",
	"estimated": "℮", "figuredash": "‒", "quotereversed": "‛", "afii61352": "№", "numero": "№",
	"Scedilla": "Ş", "scedilla": "ş", "Gbreve": "Ğ", "gbreve": "ğ", "Idotaccent": "İ",
	"Zacute": "Ź", "zacute": "ź", "Zdotaccent": "Ż", "zdotaccent": "ż", "Sacute": "Ś",
	"sacute": "ś", "Cacute": "Ć", "cacute": "ć", "Ccaron": "Č", "ccaron": "č", "Ecaron": "Ě",
	"ecaron": "ě", "Rcaron": "Ř", "rcaron": "ř", "Nacute": "Ń", "nacute": "ń", "Aogonek": "Ą",
	"aogonek": "ą", "Eogonek": "Ę", "eogonek": "ę", "Uring": "Ů", "uring": "ů", "Dcroat": "Đ",
	"dcroat": "đ", "Ohungarumlaut": "Ő", "ohungarumlaut": "ő", "Uhungarumlaut": "Ű",
	"uhungarumlaut": "ű", "Tcaron": "Ť", "tcaron": "ť", "Dcaron": "Ď", "dcaron": "ď",
	"ellipsis": "…", "trademark": "™", "quotedblbase": "„", "space": " ",
}

var (
	glyphText    map[string]string // glyph name to text
	winAnsi      [256]string       // code to text
	standardEnc  [256]string
	macRoman     [256]string
	winAnsiCodes map[string]int // glyph name to WinAnsi code, for width lookups
)

func init() {
	glyphText = make(map[string]string, 400)
	winAnsiCodes = make(map[string]int, 256)
	var winNames [256]string
	for i, n := range asciiGlyphs {
		winNames[32+i] = n
		winAnsi[32+i] = string(rune(32 + i))
	}
	for i, n := range winHighGlyphs {
		if n != "-" {
			winNames[128+i] = n
			winAnsi[128+i] = string(winHighRunes[i])
		}
	}
	for i, n := range latin1Glyphs {
		winNames[160+i] = n
		winAnsi[160+i] = string(rune(160 + i))
	}
	for code := 255; code >= 32; code-- {
		if n := winNames[code]; n != "" {
			glyphText[n] = winAnsi[code]
			winAnsiCodes[n] = code
		}
	}
	// The space and hyphen at 160 and 173 must not shadow ASCII.
	glyphText["space"], glyphText["hyphen"] = " ", "-"
	winAnsiCodes["space"], winAnsiCodes["hyphen"] = 32, 45
	for n, t := range extraGlyphs {
		if _, ok := glyphText[n]; !ok {
			glyphText[n] = t
		}
	}
	glyphText["grave"], glyphText["acute"], glyphText["circumflex"] = "`", "´", "ˆ"
	glyphText["tilde"], glyphText["macron"], glyphText["dieresis"] = "˜", "¯", "¨"
	glyphText["cedilla"], glyphText["quotesingle"] = "¸", "'"

	for c := 32; c < 127; c++ {
		standardEnc[c] = string(rune(c))
	}
	standardEnc[39], standardEnc[96] = "’", "‘"
	for _, e := range standardHigh {
		code, n, _ := strings.Cut(e, ":")
		c, _ := strconv.Atoi(code)
		standardEnc[c] = glyphText[n]
	}
	for c := 32; c < 256; c++ {
		if c == 127 {
			continue
		}
		if r := charmap.Macintosh.DecodeByte(byte(c)); r != 0xfffd {
			macRoman[c] = string(r)
		}
	}
	// Controls are kept so that fonts which rely on them still map codes.
	for c := range 32 {
		winAnsi[c], standardEnc[c], macRoman[c] = string(rune(c)), string(rune(c)), string(rune(c))
	}
}

// glyphName turns a glyph name into text, following the Adobe Glyph List
// conventions for uniXXXX, uXXXX[XX], suffixes and ligature names.
func glyphName(n string) (string, bool) {
	if t, ok := glyphText[n]; ok {
		return t, true
	}
	if base, _, ok := strings.Cut(n, "."); ok && base != "" {
		return glyphName(base)
	}
	if strings.Contains(n, "_") {
		var b strings.Builder
		for part := range strings.SplitSeq(n, "_") {
			t, ok := glyphName(part)
			if !ok {
				return "", false
			}
			b.WriteString(t)
		}
		return b.String(), true
	}
	if hex, ok := strings.CutPrefix(n, "uni"); ok && len(hex) >= 4 && len(hex)%4 == 0 {
		var b strings.Builder
		for i := 0; i < len(hex); i += 4 {
			v, err := strconv.ParseUint(hex[i:i+4], 16, 32)
			if err != nil || (v >= 0xd800 && v < 0xe000) {
				return "", false
			}
			b.WriteRune(rune(v))
		}
		return b.String(), true
	}
	if hex, ok := strings.CutPrefix(n, "u"); ok && len(hex) >= 4 && len(hex) <= 6 {
		v, err := strconv.ParseUint(hex, 16, 32)
		if err == nil && v <= 0x10ffff && !(v >= 0xd800 && v < 0xe000) {
			return string(rune(v)), true
		}
	}
	return "", false
}

// baseEncoding returns the code-to-text table of a named encoding.
func baseEncoding(n pdfName) *[256]string {
	switch n {
	case "WinAnsiEncoding":
		return &winAnsi
	case "MacRomanEncoding", "MacExpertEncoding":
		return &macRoman
	case "StandardEncoding":
		return &standardEnc
	}
	return nil
}
