package app

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/vendor"
)

// TestConsoleVendors uploads the demo SOC packet through the console's
// form: the real review runs, and its red flags with page citations, the
// vendor list and the renewal calendar render.
func TestConsoleVendors(t *testing.T) {
	e := openConsole(t)
	ctx, tenant := context.Background(), e.a.Config.Tenant
	v, err := e.a.Vendors.RegisterVendor(ctx, tenant, ledger.Actor{Kind: ledger.ActorHuman, ID: "user:alice"}, vendor.Vendor{Name: "Example Model Cloud", Providers: []string{"demo"}})
	if err != nil {
		t.Fatal(err)
	}
	e.page("/vendors", "Example Model Cloud")

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", e.csrf)
	mw.WriteField("vendor", v.ID)
	for _, in := range vendor.DemoPacket(time.Now()) {
		w, _ := mw.CreateFormFile("files", in.Name)
		w.Write(in.Data)
	}
	mw.Close()
	code, page := e.keep(e.hc.Post(e.srv.URL+"/vendors/upload", mw.FormDataContentType(), &body))
	if code != http.StatusOK {
		t.Fatalf("upload: status %d: %.3000s", code, page)
	}
	m := regexp.MustCompile(`/vendors/reviews/([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no link to the review:\n%.3000s", page)
	}
	r, err := e.a.Vendors.Store.Review(ctx, tenant, m[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(r.RedFlags) == 0 {
		t.Fatal("the demo packet raised no red flags")
	}
	f := r.RedFlags[0]
	parts := []string{"Example Model Cloud", f.Title, r.Documents[0].Name}
	if len(f.Evidence) > 0 && f.Evidence[0].Quote != "" {
		parts = append(parts, f.Evidence[0].Quote[:min(20, len(f.Evidence[0].Quote))])
	}
	e.page("/vendors/reviews/"+r.ID, parts...)
	if code, _ := e.get("/vendors/reviews/nope"); code != http.StatusNotFound {
		t.Fatalf("unknown review: status %d", code)
	}

	src := consoleVendors{svc: e.a.Vendors, now: time.Now}
	rev, err := src.Review(ctx, tenant, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	cited := false
	for _, fl := range rev.Flags {
		for _, c := range fl.Citations {
			cited = cited || c.Page > 0
		}
	}
	if rev.RedFlags != len(r.RedFlags) || rev.Vendor != "Example Model Cloud" || !cited {
		t.Fatalf("review: %+v", rev)
	}
	cal, err := src.Calendar(ctx, tenant, time.Now())
	if err != nil || len(cal) == 0 {
		t.Fatalf("calendar: %v, %v", cal, err)
	}
	if _, err := src.Upload(ctx, tenant, ledger.Actor{Kind: ledger.ActorHuman, ID: "user:alice"}, v.ID, nil); err == nil {
		t.Fatal("an empty upload was reviewed")
	}
}
