package vendor

import "fmt"

// maxPages bounds the page tree walk.
const maxPages = 100_000

// pageInfo is a leaf of the page tree with its inherited attributes.
type pageInfo struct {
	d   pdfDict
	res pdfDict
	box [4]float64
}

// pages walks the page tree in order. When the tree is broken it falls
// back to every object of type /Page, in object-number order.
func (f *pdfFile) pages() []pageInfo {
	root := f.dictOf(f.trailer["Root"])
	var out []pageInfo
	seen := map[any]bool{}
	var walk func(v any, res pdfDict, box [4]float64, depth int)
	walk = func(v any, res pdfDict, box [4]float64, depth int) {
		if depth > 64 || len(out) >= maxPages {
			return
		}
		if r, ok := v.(pdfRef); ok {
			if seen[r] {
				return
			}
			seen[r] = true
		}
		d := f.dictOf(v)
		if d == nil {
			return
		}
		if r := f.dictOf(d["Resources"]); r != nil {
			res = r
		}
		if b, ok := boxOf(f, d["MediaBox"]); ok {
			box = b
		}
		kids, isNode := f.resolve(d["Kids"]).(pdfArray)
		if d["Type"] == pdfName("Page") || !isNode {
			out = append(out, pageInfo{d: d, res: res, box: box})
			return
		}
		for _, k := range kids {
			walk(k, res, box, depth+1)
		}
	}
	letter := [4]float64{0, 0, 612, 792}
	walk(root["Pages"], nil, letter, 0)
	if len(out) > 0 {
		return out
	}
	for _, n := range f.sortedNums() {
		d, ok := f.load(n).(pdfDict)
		if !ok || d["Type"] != pdfName("Page") {
			continue
		}
		box, ok := boxOf(f, d["MediaBox"])
		if !ok {
			box = letter
		}
		out = append(out, pageInfo{d: d, res: f.dictOf(d["Resources"]), box: box})
		if len(out) >= maxPages {
			break
		}
	}
	return out
}

func boxOf(f *pdfFile, v any) ([4]float64, bool) {
	a, ok := f.resolve(v).(pdfArray)
	if !ok || len(a) != 4 {
		return [4]float64{}, false
	}
	var b [4]float64
	for i := range b {
		x, ok := asFloat(f.resolve(a[i]))
		if !ok {
			return b, false
		}
		b[i] = x
	}
	return b, true
}

// contents concatenates a page's content streams.
func (f *pdfFile) contents(page pdfDict) ([]byte, error) {
	var streams []*pdfStream
	switch v := f.resolve(page["Contents"]).(type) {
	case nil:
		if page["Contents"] != nil {
			return nil, fmt.Errorf("%w: page content missing", errNoObject)
		}
	case *pdfStream:
		streams = append(streams, v)
	case pdfArray:
		for _, x := range v {
			if s, ok := f.resolve(x).(*pdfStream); ok {
				streams = append(streams, s)
			}
		}
	}
	var out []byte
	var firstErr error
	for _, s := range streams {
		data, err := f.decode(s)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		out = append(out, data...)
		out = append(out, '\n')
	}
	if len(out) == 0 && firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}
