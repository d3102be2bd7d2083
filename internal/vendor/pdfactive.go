package vendor

// Kinds of active content. attest never runs any of it; it only reports
// that it is there, because a security report has no need for it.
const (
	ActiveJavaScript   = "javascript"
	ActiveEmbeddedFile = "embedded_file"
	ActiveLaunch       = "launch_action"
	ActiveXFA          = "xfa_form"
	ActiveRichMedia    = "rich_media"
)

// ActiveContent counts one kind of active content in a document.
type ActiveContent struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
}

// activeContent inspects every object in the file for scripts, attached
// files and launch actions, wherever in the object graph they hide.
func (f *pdfFile) activeContent() []ActiveContent {
	counts := map[string]int{}
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > maxPDFDepth {
			return
		}
		switch x := v.(type) {
		case *pdfStream:
			walk(x.hdr, depth+1)
		case pdfArray:
			for _, e := range x {
				walk(e, depth+1)
			}
		case pdfDict:
			switch x["S"] {
			case pdfName("JavaScript"):
				counts[ActiveJavaScript]++
			case pdfName("Launch"):
				counts[ActiveLaunch]++
			}
			if _, ok := x["JS"]; ok && x["S"] != pdfName("JavaScript") {
				counts[ActiveJavaScript]++
			}
			if _, ok := x["JavaScript"]; ok {
				counts[ActiveJavaScript]++
			}
			switch x["Type"] {
			case pdfName("EmbeddedFile"):
				counts[ActiveEmbeddedFile]++
			}
			if x["Subtype"] == pdfName("FileAttachment") {
				counts[ActiveEmbeddedFile]++
			}
			if _, ok := x["EmbeddedFiles"]; ok {
				counts[ActiveEmbeddedFile]++
			}
			if _, ok := x["XFA"]; ok {
				counts[ActiveXFA]++
			}
			if x["Subtype"] == pdfName("RichMedia") {
				counts[ActiveRichMedia]++
			}
			for _, e := range x {
				walk(e, depth+1)
			}
		}
	}
	for _, n := range f.sortedNums() {
		walk(f.load(n), 0)
	}
	walk(f.trailer, 0)
	var out []ActiveContent
	for _, k := range []string{ActiveJavaScript, ActiveEmbeddedFile, ActiveLaunch, ActiveXFA, ActiveRichMedia} {
		if counts[k] > 0 {
			out = append(out, ActiveContent{Kind: k, Count: counts[k]})
		}
	}
	return out
}
