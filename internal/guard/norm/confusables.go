package norm

// confusables maps characters that look like ASCII letters, digits or
// punctuation to that ASCII text. It is a hand-picked subset of the Unicode
// confusables list covering the Cyrillic, Greek, Armenian and punctuation
// look-alikes seen in evasion attempts; NFKC handles fullwidth and
// mathematical forms separately.
var confusables = map[rune]string{
	// Cyrillic lower case.
	'а': "a", 'в': "b", 'е': "e", 'ѐ': "e", 'ё': "e", 'һ': "h", 'і': "i", 'ї': "i", 'ј': "j", 'к': "k",
	'м': "m", 'о': "o", 'р': "p", 'с': "c", 'т': "t", 'у': "y", 'х': "x", 'ѕ': "s", 'ԁ': "d",
	'ԛ': "q", 'ԝ': "w", 'ɡ': "g", 'ү': "y", 'ӏ': "l", 'ь': "b",
	// Cyrillic upper case.
	'А': "A", 'В': "B", 'Е': "E", 'Ѐ': "E", 'Ё': "E", 'З': "3", 'І': "I", 'Ї': "I", 'Ј': "J", 'К': "K",
	'М': "M", 'Н': "H", 'О': "O", 'Р': "P", 'С': "C", 'Т': "T", 'У': "Y", 'Х': "X", 'Ѕ': "S", 'Ԁ': "D",
	'Ү': "Y", 'Ӏ': "I", 'Ԛ': "Q", 'Ԝ': "W",
	// Greek.
	'α': "a", 'ο': "o", 'ν': "v", 'ρ': "p", 'ι': "i", 'κ': "k", 'τ': "t", 'υ': "u", 'χ': "x", 'ϲ': "c",
	'Α': "A", 'Β': "B", 'Ε': "E", 'Ζ': "Z", 'Η': "H", 'Ι': "I", 'Κ': "K", 'Μ': "M", 'Ν': "N", 'Ο': "O",
	'Ρ': "P", 'Τ': "T", 'Υ': "Y", 'Χ': "X", 'Ϲ': "C", 'ϳ': "j",
	// Armenian and Latin extensions.
	'օ': "o", 'ս': "u", 'ց': "g", 'հ': "h", 'ո': "n", 'ı': "i", 'ȷ': "j", 'ℓ': "l", 'ꓲ': "I", 'ꓳ': "O",
	// Punctuation and symbols.
	'‐': "-", '‑': "-", '‒': "-", '–': "-", '—': "-", '―': "-", '−': "-", '⁃': "-", '﹘': "-", '﹣': "-",
	'‘': "'", '’': "'", '‚': "'", '‛': "'", '′': "'", '“': "\"", '”': "\"", '„': "\"", '″': "\"",
	'＠': "@", '﹫': "@", '․': ".", '‧': ".", '。': ".", '︒': ".", '∶': ":", '׃': ":", '˸': ":",
	'⁄': "/", '∕': "/", '⧸': "/", '＿': "_", '٫': ".", '٬': ",",
}
