package vendor

import (
	"bytes"
	"embed"
	"io/fs"
)

// The demo packet is synthetic: a fictional vendor's SOC 2 Type 2 report
// with AI components in scope, a bridge letter and a penetration-test
// summary, written for attest's tests. It is what `attest serve --demo`
// reviews.
//
//go:embed testdata/fixtures/soc2-type2-ai-in-scope.txt testdata/fixtures/bridge-letter.txt testdata/fixtures/pentest-summary.txt
var demoFS embed.FS

// DemoPacket returns the synthetic demo packet as review inputs.
func DemoPacket() []Input {
	var out []Input
	fs.WalkDir(demoFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := demoFS.ReadFile(p)
		in, err := ReadInput(d.Name(), bytesReader(b), int64(len(b))+1)
		if err == nil {
			out = append(out, in)
		}
		return nil
	})
	return out
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
