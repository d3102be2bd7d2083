package vendor

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
)

// cryptMethod is how one class of data (strings or streams) is encrypted.
type cryptMethod int

const (
	cryptNone cryptMethod = iota
	cryptRC4
	cryptAESV2
	cryptAESV3
)

// decrypter implements the standard security handler (ISO 32000-2, 7.6.4)
// for documents that open with the empty user password, which is how most
// "protected" vendor reports are shipped: anyone may read them, only
// printing or copying is restricted.
type decrypter struct {
	key         []byte
	strM, stm   cryptMethod
	metadata    bool // whether metadata streams are encrypted
	encRef      pdfRef
	description string
	revision    int
	keyLen      int
}

// passwordPad is the 32-byte padding string from the standard.
var passwordPad = []byte{
	0x28, 0xbf, 0x4e, 0x5e, 0x4e, 0x75, 0x8a, 0x41, 0x64, 0x00, 0x4e, 0x56, 0xff, 0xfa, 0x01, 0x08,
	0x2e, 0x2e, 0x00, 0xb6, 0xd0, 0x68, 0x3e, 0x80, 0x2f, 0x0c, 0xa9, 0xfe, 0x64, 0x53, 0x69, 0x7a,
}

// newDecrypter sets up decryption from the trailer's /Encrypt entry, or
// returns nil for a document that is not encrypted.
func newDecrypter(f *pdfFile) (*decrypter, error) {
	encV, ok := f.trailer["Encrypt"]
	if !ok || encV == nil {
		return nil, nil
	}
	enc := f.dictOf(encV)
	if enc == nil {
		return nil, fmt.Errorf("%w: the /Encrypt entry is not a dictionary", ErrPDFCorrupt)
	}
	if flt, _ := enc["Filter"].(pdfName); flt != "Standard" {
		return nil, fmt.Errorf("%w: security handler %q (only the standard password handler is supported)", ErrPDFUnsupported, string(flt))
	}
	d := &decrypter{metadata: true}
	if r, ok := encV.(pdfRef); ok {
		d.encRef = r
	}
	if b, ok := enc["EncryptMetadata"].(bool); ok {
		d.metadata = b
	}
	v, _ := asInt(enc["V"])
	rev, _ := asInt(enc["R"])
	d.revision = rev
	o := []byte(strOf(enc["O"]))
	u := []byte(strOf(enc["U"]))
	p, _ := asInt(enc["P"])
	var id []byte
	if ids, ok := f.resolve(f.trailer["ID"]).(pdfArray); ok && len(ids) > 0 {
		id = []byte(strOf(f.resolve(ids[0])))
	}
	switch v {
	case 1, 2:
		bits := 40
		if v == 2 {
			if n, ok := asInt(enc["Length"]); ok {
				bits = n
			}
		}
		d.strM, d.stm = cryptRC4, cryptRC4
		d.keyLen = bits / 8
		d.description = fmt.Sprintf("RC4 %d-bit", bits)
	case 4:
		cf := f.dictOf(enc["CF"])
		method := func(key any) (cryptMethod, int) {
			n, _ := key.(pdfName)
			if n == "" || n == "Identity" {
				return cryptNone, 0
			}
			filter := f.dictOf(cf[n])
			length, _ := asInt(filter["Length"])
			switch filter["CFM"] {
			case pdfName("V2"):
				return cryptRC4, length
			case pdfName("AESV2"):
				return cryptAESV2, 16
			case pdfName("AESV3"):
				return cryptAESV3, 32
			}
			return cryptNone, 0
		}
		var l1, l2 int
		d.strM, l1 = method(enc["StrF"])
		d.stm, l2 = method(enc["StmF"])
		d.keyLen = max(l1, l2)
		if d.keyLen > 32 { // some writers give the length in bits
			d.keyLen /= 8
		}
		if d.keyLen == 0 {
			d.keyLen = 16
		}
		if n, ok := asInt(enc["Length"]); ok && n >= 40 && n <= 128 && !(d.strM == cryptAESV2 || d.stm == cryptAESV2) {
			d.keyLen = n / 8
		}
		d.description = "AES 128-bit"
		if d.strM == cryptRC4 || d.stm == cryptRC4 {
			d.description = fmt.Sprintf("RC4 %d-bit", d.keyLen*8)
		}
	case 5:
		d.strM, d.stm = cryptAESV3, cryptAESV3
		d.keyLen = 32
		d.description = "AES 256-bit"
		return d, d.initV5(enc, u)
	default:
		return nil, fmt.Errorf("%w: encryption version V=%d", ErrPDFUnsupported, v)
	}
	if d.keyLen < 5 || d.keyLen > 16 {
		return nil, fmt.Errorf("%w: encryption key of %d bytes", ErrPDFCorrupt, d.keyLen)
	}
	if rev < 2 || rev > 4 {
		return nil, fmt.Errorf("%w: encryption revision R=%d", ErrPDFUnsupported, rev)
	}
	if len(o) < 32 || len(u) < 32 {
		return nil, fmt.Errorf("%w: the encryption dictionary lacks its /O or /U value", ErrPDFCorrupt)
	}
	d.key = d.fileKeyRC4(o, uint32(p), id)
	if !d.checkUserRC4(u, id) {
		return nil, ErrPDFPassword
	}
	return d, nil
}

func strOf(v any) string {
	s, _ := v.(pdfString)
	return string(s)
}

// fileKeyRC4 is algorithm 2: the file key from the empty user password.
func (d *decrypter) fileKeyRC4(o []byte, p uint32, id []byte) []byte {
	h := md5.New()
	h.Write(passwordPad)
	h.Write(o[:32])
	h.Write([]byte{byte(p), byte(p >> 8), byte(p >> 16), byte(p >> 24)})
	h.Write(id)
	if d.revision >= 4 && !d.metadata {
		h.Write([]byte{0xff, 0xff, 0xff, 0xff})
	}
	key := h.Sum(nil)
	if d.revision >= 3 {
		for range 50 {
			s := md5.Sum(key[:d.keyLen])
			key = s[:]
		}
	}
	return key[:d.keyLen]
}

// checkUserRC4 is algorithms 4 and 5: does the empty password open the file?
func (d *decrypter) checkUserRC4(u, id []byte) bool {
	c, err := rc4.NewCipher(d.key)
	if err != nil {
		return false
	}
	if d.revision == 2 {
		got := make([]byte, 32)
		c.XORKeyStream(got, passwordPad)
		return bytes.Equal(got, u[:32])
	}
	h := md5.New()
	h.Write(passwordPad)
	h.Write(id)
	got := h.Sum(nil)
	c.XORKeyStream(got, got)
	k := make([]byte, len(d.key))
	for i := 1; i <= 19; i++ {
		for j := range k {
			k[j] = d.key[j] ^ byte(i)
		}
		c, _ := rc4.NewCipher(k)
		c.XORKeyStream(got, got)
	}
	return bytes.Equal(got, u[:16])
}

// initV5 handles AES-256 (revisions 5 and 6) with the empty password.
func (d *decrypter) initV5(enc pdfDict, u []byte) error {
	if d.revision != 5 && d.revision != 6 {
		return fmt.Errorf("%w: AES-256 encryption revision R=%d", ErrPDFUnsupported, d.revision)
	}
	ue := []byte(strOf(enc["UE"]))
	if len(u) < 48 || len(ue) < 32 {
		return fmt.Errorf("%w: the encryption dictionary lacks its /U or /UE value", ErrPDFCorrupt)
	}
	validation, keySalt := u[32:40], u[40:48]
	var check, inter []byte
	if d.revision == 5 {
		s := sha256.Sum256(validation)
		check = s[:]
		k := sha256.Sum256(keySalt)
		inter = k[:]
	} else {
		check = hash2B(validation)
		inter = hash2B(keySalt)
	}
	if !bytes.Equal(check, u[:32]) {
		return ErrPDFPassword
	}
	block, err := aes.NewCipher(inter)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPDFCorrupt, err)
	}
	key := make([]byte, 32)
	cipher.NewCBCDecrypter(block, make([]byte, 16)).CryptBlocks(key, ue[:32])
	d.key = key
	return nil
}

// hash2B is algorithm 2.B of ISO 32000-2 for the empty password and no
// owner data, so its input is just the salt.
func hash2B(salt []byte) []byte {
	k0 := sha256.Sum256(salt)
	k := k0[:]
	var e []byte
	for i := 0; ; {
		k1 := bytes.Repeat(k, 64)
		block, _ := aes.NewCipher(k[:16])
		e = make([]byte, len(k1))
		cipher.NewCBCEncrypter(block, k[16:32]).CryptBlocks(e, k1)
		sum := 0
		for _, b := range e[:16] {
			sum += int(b)
		}
		var h hash.Hash
		switch sum % 3 {
		case 0:
			h = sha256.New()
		case 1:
			h = sha512.New384()
		default:
			h = sha512.New()
		}
		h.Write(e)
		k = h.Sum(nil)
		i++
		if i >= 64 && int(e[len(e)-1]) <= i-32 {
			break
		}
	}
	return k[:32]
}

// objectKey derives the key for one indirect object (algorithm 1).
func (d *decrypter) objectKey(id pdfRef, m cryptMethod) []byte {
	if m == cryptAESV3 {
		return d.key
	}
	h := md5.New()
	h.Write(d.key)
	h.Write([]byte{byte(id.num), byte(id.num >> 8), byte(id.num >> 16), byte(id.gen), byte(id.gen >> 8)})
	if m == cryptAESV2 {
		h.Write([]byte("sAlT"))
	}
	return h.Sum(nil)[:min(len(d.key)+5, 16)]
}

// decrypt returns the plaintext of data, which belongs to object id.
func (d *decrypter) decrypt(data []byte, id pdfRef, m cryptMethod) []byte {
	switch m {
	case cryptRC4:
		c, err := rc4.NewCipher(d.objectKey(id, m))
		if err != nil {
			return data
		}
		out := make([]byte, len(data))
		c.XORKeyStream(out, data)
		return out
	case cryptAESV2, cryptAESV3:
		if len(data) < 2*aes.BlockSize {
			return nil
		}
		block, err := aes.NewCipher(d.objectKey(id, m))
		if err != nil {
			return nil
		}
		iv, body := data[:aes.BlockSize], data[aes.BlockSize:]
		body = body[:len(body)/aes.BlockSize*aes.BlockSize]
		out := make([]byte, len(body))
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, body)
		if n := int(out[len(out)-1]); n >= 1 && n <= aes.BlockSize && n <= len(out) {
			pad := true
			for _, b := range out[len(out)-n:] {
				pad = pad && int(b) == n
			}
			if pad {
				out = out[:len(out)-n]
			}
		}
		return out
	}
	return data
}

// decryptObject decrypts every string inside a freshly parsed indirect
// object. Streams are decrypted later, when they are decoded.
func (f *pdfFile) decryptObject(v any, id pdfRef) any {
	d := f.crypt
	if d == nil || d.strM == cryptNone || id == d.encRef {
		return v
	}
	var walk func(v any, depth int) any
	walk = func(v any, depth int) any {
		if depth > maxPDFDepth {
			return v
		}
		switch x := v.(type) {
		case pdfString:
			return pdfString(d.decrypt([]byte(x), id, d.strM))
		case pdfArray:
			for i := range x {
				x[i] = walk(x[i], depth+1)
			}
		case pdfDict:
			for k := range x {
				x[k] = walk(x[k], depth+1)
			}
		case *pdfStream:
			if x.hdr["Type"] != pdfName("XRef") {
				walk(x.hdr, depth+1)
			}
		}
		return v
	}
	return walk(v, 0)
}

// streamPlain returns a stream's raw bytes decrypted as needed.
func (f *pdfFile) streamPlain(s *pdfStream) []byte {
	d := f.crypt
	if d == nil || d.stm == cryptNone || s.from.num == 0 || s.hdr["Type"] == pdfName("XRef") {
		return s.raw
	}
	if !d.metadata && s.hdr["Type"] == pdfName("Metadata") {
		return s.raw
	}
	if first, _ := firstFilter(s.hdr); first == "Crypt" {
		if p := f.dictOf(decodeParms(s.hdr, 0)); p == nil || p["Name"] == nil || p["Name"] == pdfName("Identity") {
			return s.raw
		}
	}
	return d.decrypt(s.raw, s.from, d.stm)
}
