package vendor

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

var (
	errTooLarge   = errors.New("decoded stream exceeds the size limit")
	errImageData  = errors.New("image data is not decoded")
	errBadEncoded = errors.New("stream data does not decode")
)

// decodeBudget caps how much decompressed data one document may produce, so a
// small hostile file cannot expand into gigabytes.
type decodeBudget struct {
	perStream int
	left      int
}

func (b *decodeBudget) take(n int) error {
	if n > b.perStream || n > b.left {
		return errTooLarge
	}
	b.left -= n
	return nil
}

// filters lists a stream's filter names, resolving indirect ones.
func (f *pdfFile) filters(hdr pdfDict) []pdfName {
	switch v := f.resolve(hdr["Filter"]).(type) {
	case pdfName:
		return []pdfName{v}
	case pdfArray:
		out := make([]pdfName, 0, len(v))
		for _, x := range v {
			if n, ok := f.resolve(x).(pdfName); ok {
				out = append(out, n)
			}
		}
		return out
	}
	return nil
}

// firstFilter returns the first filter named directly in hdr.
func firstFilter(hdr pdfDict) (pdfName, bool) {
	switch v := hdr["Filter"].(type) {
	case pdfName:
		return v, true
	case pdfArray:
		if len(v) > 0 {
			n, ok := v[0].(pdfName)
			return n, ok
		}
	}
	return "", false
}

// decodeParms returns the parameters of filter i.
func decodeParms(hdr pdfDict, i int) any {
	switch v := hdr["DecodeParms"].(type) {
	case pdfArray:
		if i < len(v) {
			return v[i]
		}
		return nil
	default:
		if i == 0 {
			return v
		}
	}
	return nil
}

// decode returns a stream's decrypted, decompressed bytes.
func (f *pdfFile) decode(s *pdfStream) ([]byte, error) {
	data := f.streamPlain(s)
	for i, flt := range f.filters(s.hdr) {
		parms := f.dictOf(decodeParms(s.hdr, i))
		var err error
		switch flt {
		case "FlateDecode", "Fl":
			data, err = f.inflate(data)
			if err == nil {
				data, err = unpredict(data, parms, f)
			}
		case "LZWDecode", "LZW":
			early := 1
			if v, ok := asInt(f.resolve(parms["EarlyChange"])); ok {
				early = v
			}
			data, err = lzwDecode(data, early, f.budget)
			if err == nil {
				data, err = unpredict(data, parms, f)
			}
		case "ASCII85Decode", "A85":
			data = ascii85Decode(data)
		case "ASCIIHexDecode", "AHx":
			l := pdfLexer{b: append(bytes.TrimLeft(data, "<"), '>')}
			data = []byte(l.hex())
		case "RunLengthDecode", "RL":
			data, err = runLengthDecode(data, f.budget)
		case "Crypt":
			// Handled in streamPlain.
		case "DCTDecode", "DCT", "JPXDecode", "JBIG2Decode", "CCITTFaxDecode", "CCF":
			return nil, errImageData
		default:
			return nil, fmt.Errorf("%w: unknown filter %q", errBadEncoded, string(flt))
		}
		if err != nil {
			return nil, err
		}
	}
	return data, nil
}

// inflate decompresses zlib data. Damaged or truncated data yields what
// could be read, as a viewer would show it.
func (f *pdfFile) inflate(data []byte) ([]byte, error) {
	var r io.Reader
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err == nil {
		r = zr
	} else {
		r = flate.NewReader(bytes.NewReader(data))
	}
	lim := min(f.budget.perStream, f.budget.left)
	out, err := io.ReadAll(io.LimitReader(r, int64(lim)+1))
	if len(out) > lim {
		return nil, errTooLarge
	}
	if err != nil && len(out) == 0 {
		// Some writers emit raw deflate without the zlib header.
		if alt, err2 := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(data)), int64(lim)+1)); len(alt) > 0 {
			if len(alt) > lim {
				return nil, errTooLarge
			}
			out, err = alt, err2
		}
	}
	if len(out) == 0 && err != nil {
		return nil, fmt.Errorf("%w: %v", errBadEncoded, err)
	}
	return out, f.budget.take(len(out))
}

// unpredict reverses PNG and TIFF predictors.
func unpredict(data []byte, parms pdfDict, f *pdfFile) ([]byte, error) {
	pred, _ := asInt(f.resolve(parms["Predictor"]))
	if pred <= 1 {
		return data, nil
	}
	colors, bpc, cols := 1, 8, 1
	if v, ok := asInt(f.resolve(parms["Colors"])); ok && v > 0 && v <= 32 {
		colors = v
	}
	if v, ok := asInt(f.resolve(parms["BitsPerComponent"])); ok && v > 0 && v <= 16 {
		bpc = v
	}
	if v, ok := asInt(f.resolve(parms["Columns"])); ok && v > 0 && v <= 1<<20 {
		cols = v
	}
	bpp := max(1, colors*bpc/8)
	rowLen := min((colors*bpc*cols+7)/8, len(data))
	if rowLen == 0 {
		return data, nil
	}
	if pred == 2 {
		if bpc != 8 {
			return data, nil
		}
		for r := 0; r+rowLen <= len(data); r += rowLen {
			for i := bpp; i < rowLen; i++ {
				data[r+i] += data[r+i-bpp]
			}
		}
		return data, nil
	}
	out := make([]byte, 0, len(data))
	prev := make([]byte, rowLen)
	for p := 0; p < len(data); p += rowLen + 1 {
		typ := data[p]
		end := min(p+1+rowLen, len(data))
		row := make([]byte, rowLen)
		copy(row, data[p+1:end])
		for i := range row {
			var a, b, c byte
			if i >= bpp {
				a = row[i-bpp]
				c = prev[i-bpp]
			}
			b = prev[i]
			switch typ {
			case 1:
				row[i] += a
			case 2:
				row[i] += b
			case 3:
				row[i] += byte((int(a) + int(b)) / 2)
			case 4:
				row[i] += paeth(a, b, c)
			}
		}
		out = append(out, row...)
		prev = row
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	if pa <= pb && pa <= pc {
		return a
	}
	if pb <= pc {
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func ascii85Decode(data []byte) []byte {
	data = bytes.TrimPrefix(bytes.TrimLeft(data, " \t\r\n\f\x00"), []byte("<~"))
	out := make([]byte, 0, len(data)*4/5+4)
	var group [5]byte
	n := 0
	flush := func(k int) {
		v := uint32(0)
		for i := range 5 {
			v = v*85 + uint32(group[i])
		}
		b := []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
		out = append(out, b[:k]...)
	}
	for _, c := range data {
		switch {
		case c == '~':
			goto done
		case c == 'z' && n == 0:
			out = append(out, 0, 0, 0, 0)
		case c >= '!' && c <= 'u':
			group[n] = c - '!'
			n++
			if n == 5 {
				flush(4)
				n = 0
			}
		}
	}
done:
	if n > 1 {
		for i := n; i < 5; i++ {
			group[i] = 'u' - '!'
		}
		flush(n - 1)
	}
	return out
}

func runLengthDecode(data []byte, b *decodeBudget) ([]byte, error) {
	var out []byte
	for i := 0; i < len(data); {
		n := int(data[i])
		i++
		switch {
		case n < 128:
			end := min(i+n+1, len(data))
			out = append(out, data[i:end]...)
			i = end
		case n > 128:
			if i < len(data) {
				out = append(out, bytes.Repeat(data[i:i+1], 257-n)...)
				i++
			}
		default:
			return out, b.take(len(out))
		}
		if len(out) > b.perStream {
			return nil, errTooLarge
		}
	}
	return out, b.take(len(out))
}

// lzwDecode implements the LZW variant of the PDF standard, including its
// "early change" of code width.
func lzwDecode(data []byte, early int, b *decodeBudget) ([]byte, error) {
	var out []byte
	var acc uint32
	var nbits uint
	pos := 0
	read := func(w uint) (int, bool) {
		for nbits < w {
			if pos >= len(data) {
				return 0, false
			}
			acc = acc<<8 | uint32(data[pos])
			pos++
			nbits += 8
		}
		nbits -= w
		return int(acc>>nbits) & (1<<w - 1), true
	}
	table := make([][]byte, 258, 4096)
	for i := range 256 {
		table[i] = []byte{byte(i)}
	}
	width := uint(9)
	var prev []byte
	for {
		code, ok := read(width)
		if !ok || code == 257 {
			break
		}
		if code == 256 {
			table = table[:258]
			width = 9
			prev = nil
			continue
		}
		var entry []byte
		switch {
		case code < len(table) && code != 256 && code != 257:
			entry = table[code]
		case code == len(table) && prev != nil:
			entry = append(append([]byte(nil), prev...), prev[0])
		default:
			return out, b.take(len(out))
		}
		out = append(out, entry...)
		if len(out) > b.perStream {
			return nil, errTooLarge
		}
		if prev != nil && len(table) < 4096 {
			table = append(table, append(append([]byte(nil), prev...), entry[0]))
		}
		prev = entry
		if len(table)+early >= 1<<width && width < 12 {
			width++
		}
	}
	return out, b.take(len(out))
}
