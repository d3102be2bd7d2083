package console

import (
	"errors"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

type renewalMonth struct {
	Month   string
	Entries []Renewal
}

type vendorsData struct {
	Configured bool
	Vendors    []VendorSummary
	Reviews    []VendorReviewSummary
	Calendar   []renewalMonth
	Uploaded   *VendorReviewSummary
}

func (c *Console) vendorsPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	c.renderVendors(w, r, v, http.StatusOK, nil, "", "")
}

func (c *Console) renderVendors(w http.ResponseWriter, r *http.Request, v *viewer, status int, up *VendorReviewSummary, flash, problem string) {
	d := vendorsData{Uploaded: up}
	if vs := c.d.Vendors; vs != nil {
		ctx, tenant := r.Context(), v.User.Tenant
		var err error
		if d.Vendors, err = vs.Vendors(ctx, tenant); err != nil {
			c.internal(w, r, v, err)
			return
		}
		if d.Reviews, err = vs.Reviews(ctx, tenant); err != nil {
			c.internal(w, r, v, err)
			return
		}
		slices.SortStableFunc(d.Reviews, func(a, b VendorReviewSummary) int { return b.Reviewed.Compare(a.Reviewed) })
		cal, err := vs.Calendar(ctx, tenant, c.now())
		if err != nil {
			c.internal(w, r, v, err)
			return
		}
		d.Calendar = byMonth(cal)
		d.Configured = true
	}
	c.render(w, r, status, "vendors", &view{V: v, Title: "Vendors", Nav: "vendors", Flash: flash, Error: problem, Data: d})
}

// byMonth groups renewals by calendar month, soonest first.
func byMonth(rs []Renewal) []renewalMonth {
	slices.SortStableFunc(rs, func(a, b Renewal) int { return a.Due.Compare(b.Due) })
	var out []renewalMonth
	for _, e := range rs {
		m := e.Due.UTC().Format("January 2006")
		if len(out) == 0 || out[len(out)-1].Month != m {
			out = append(out, renewalMonth{Month: m})
		}
		out[len(out)-1].Entries = append(out[len(out)-1].Entries, e)
	}
	return out
}

func (c *Console) vendorReviewPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	if c.d.Vendors == nil {
		c.fail(w, r, v, http.StatusNotFound, "Vendor review is not configured.")
		return
	}
	rv, err := c.d.Vendors.Review(r.Context(), v.User.Tenant, r.PathValue("id"))
	if errors.Is(err, ErrNotFound) {
		c.fail(w, r, v, http.StatusNotFound, "No such vendor review.")
		return
	}
	if err != nil {
		c.internal(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "vendor_review", &view{V: v, Title: "Review of " + rv.Vendor, Nav: "vendors", Data: rv})
}

// maxUploadFiles bounds one packet.
const maxUploadFiles = 20

// vendorUpload reviews an uploaded packet. Parts beyond 8 MiB spill to
// temporary files, which are removed when the request ends.
func (c *Console) vendorUpload(w http.ResponseWriter, r *http.Request, v *viewer) {
	if c.d.Vendors == nil {
		c.fail(w, r, v, http.StatusNotFound, "Vendor review is not configured.")
		return
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			c.renderVendors(w, r, v, http.StatusRequestEntityTooLarge, nil, "", "The packet is larger than 64 MiB. Upload the documents in smaller groups.")
			return
		}
		c.renderVendors(w, r, v, http.StatusBadRequest, nil, "", "The upload could not be read. Choose the files again and retry.")
		return
	}
	defer r.MultipartForm.RemoveAll()
	vendor := strings.TrimSpace(r.FormValue("vendor"))
	hs := r.MultipartForm.File["files"]
	switch {
	case vendor == "":
		c.renderVendors(w, r, v, http.StatusBadRequest, nil, "", "Choose the vendor the packet belongs to.")
		return
	case len(hs) == 0:
		c.renderVendors(w, r, v, http.StatusBadRequest, nil, "", "Choose at least one document: the SOC 2 report, bridge letter or pen-test summary.")
		return
	case len(hs) > maxUploadFiles:
		c.renderVendors(w, r, v, http.StatusBadRequest, nil, "", "A packet holds at most 20 documents.")
		return
	}
	ups, closeAll, err := openUploads(hs)
	defer closeAll()
	if err != nil {
		c.internal(w, r, v, err)
		return
	}
	start := time.Now()
	sum, err := c.d.Vendors.Upload(r.Context(), v.User.Tenant, v.User.Actor(), vendor, ups)
	if err != nil {
		c.d.Logger.Info("console vendor upload refused", "files", len(ups), "err", err)
		c.renderVendors(w, r, v, http.StatusUnprocessableEntity, nil, "", "The packet could not be reviewed: "+err.Error())
		return
	}
	c.d.Logger.Info("console vendor review", "files", len(ups), "dur", time.Since(start))
	c.renderVendors(w, r, v, http.StatusOK, &sum, "", "")
}

func openUploads(hs []*multipart.FileHeader) ([]Upload, func(), error) {
	var files []multipart.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	var out []Upload
	for _, h := range hs {
		f, err := h.Open()
		if err != nil {
			return nil, closeAll, err
		}
		files = append(files, f)
		out = append(out, Upload{Name: filepath.Base(h.Filename), Size: h.Size, Body: f})
	}
	return out, closeAll, nil
}
