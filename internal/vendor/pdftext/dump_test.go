package pdftext

import (
	"context"
	"fmt"
	"os"
	"testing"
)

func TestDump(t *testing.T) {
	path := os.Getenv("PDF")
	if path == "" {
		t.Skip()
	}
	data, _ := os.ReadFile(path)
	doc, err := Extract(context.Background(), data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range doc.Pages {
		fmt.Printf("==== page %d (img %d %.2f fail %v)\n%s\n", i+1, p.Images, p.ImageCover, p.Failed, p.Text)
	}
	fmt.Println(doc.Encryption, doc.Repaired, doc.Active)
}
