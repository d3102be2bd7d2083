package vendor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// Handler serves the vendor API. Authentication and authorization happen
// in middleware outside it; Actor and Tenant read what that middleware
// established for the request.
type Handler struct {
	Service *Service
	Actor   func(*http.Request) ledger.Actor
	Tenant  func(*http.Request) string
	// MaxRequestBytes caps a whole upload (default 512 MiB); each file is
	// capped by the service reader's MaxFileBytes.
	MaxRequestBytes int64
}

// Routes registers the vendor endpoints on mux.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/vendors", h.listVendors)
	mux.HandleFunc("POST /api/v1/vendors", h.createVendor)
	mux.HandleFunc("GET /api/v1/vendors/calendar", h.calendar)
	mux.HandleFunc("GET /api/v1/vendors/{id}", h.getVendor)
	mux.HandleFunc("POST /api/v1/vendors/{id}/reviews", h.createReview)
	mux.HandleFunc("GET /api/v1/vendors/{id}/reviews/{rid}", h.getReview)
}

// problemBase prefixes problem type URIs, as the rest of the API does.
const problemBase = "https://attest.dev/problems/"

// writeProblem writes an RFC 9457 problem details response.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, kind, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"type": problemBase + kind, "title": http.StatusText(status), "status": status,
		"detail": detail, "instance": r.URL.Path,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// storeError maps registry errors to problems.
func storeError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		writeProblem(w, r, http.StatusNotFound, "not-found", err.Error())
	case errors.Is(err, ErrConflict):
		writeProblem(w, r, http.StatusConflict, "conflict", err.Error())
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrNoDocuments):
		writeProblem(w, r, http.StatusBadRequest, "invalid-request", err.Error())
	case errors.Is(err, ledger.ErrInvalidEvent):
		writeProblem(w, r, http.StatusBadRequest, "invalid-request", "the request cannot be recorded: "+err.Error())
	default:
		writeProblem(w, r, http.StatusInternalServerError, "internal", "the vendor registry failed; try again, and check the server log if it persists")
	}
}

func (h *Handler) listVendors(w http.ResponseWriter, r *http.Request) {
	sums, err := h.Service.Summaries(r.Context(), h.Tenant(r))
	if err != nil {
		storeError(w, r, err)
		return
	}
	if sums == nil {
		sums = []VendorSummary{}
	}
	writeJSON(w, http.StatusOK, sums)
}

// vendorRequest is the body of POST /api/v1/vendors.
type vendorRequest struct {
	Name      string   `json:"name"`
	Website   string   `json:"website,omitempty"`
	Providers []string `json:"providers,omitempty"`
}

func (h *Handler) createVendor(w http.ResponseWriter, r *http.Request) {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "" && ct != "application/json" {
		writeProblem(w, r, http.StatusUnsupportedMediaType, "unsupported-media-type", "send the vendor as application/json")
		return
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	var req vendorRequest
	if err := dec.Decode(&req); err != nil {
		writeProblem(w, r, http.StatusBadRequest, "malformed-json", `send {"name": "...", "website": "...", "providers": ["openai"]}: `+err.Error())
		return
	}
	v, err := h.Service.RegisterVendor(r.Context(), h.Tenant(r), h.Actor(r), Vendor{Name: req.Name, Website: req.Website, Providers: req.Providers})
	if err != nil {
		storeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/vendors/"+v.ID)
	writeJSON(w, http.StatusCreated, v)
}

// vendorDetail is the body of GET /api/v1/vendors/{id}.
type vendorDetail struct {
	Vendor    Vendor          `json:"vendor"`
	Documents []Document      `json:"documents"`
	Reviews   []ReviewSummary `json:"reviews"`
}

func (h *Handler) getVendor(w http.ResponseWriter, r *http.Request) {
	ctx, tenant := r.Context(), h.Tenant(r)
	v, err := h.Service.Store.Vendor(ctx, tenant, r.PathValue("id"))
	if err != nil {
		storeError(w, r, fmt.Errorf("vendor %s: %w", r.PathValue("id"), err))
		return
	}
	docs, err := h.Service.Store.Documents(ctx, tenant, v.ID)
	if err != nil {
		storeError(w, r, err)
		return
	}
	reviews, err := h.Service.Store.Reviews(ctx, tenant, v.ID)
	if err != nil {
		storeError(w, r, err)
		return
	}
	d := vendorDetail{Vendor: v, Documents: docs, Reviews: make([]ReviewSummary, len(reviews))}
	if d.Documents == nil {
		d.Documents = []Document{}
	}
	for i, rv := range reviews {
		d.Reviews[i] = summarize(rv)
	}
	writeJSON(w, http.StatusOK, d)
}

func (h *Handler) maxRequest() int64 {
	if h.MaxRequestBytes > 0 {
		return h.MaxRequestBytes
	}
	return 512 << 20
}

// createReview accepts a multipart upload: every file part is a document,
// and an optional "as_of" field sets the review date.
func (h *Handler) createReview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, h.maxRequest())
	mr, err := r.MultipartReader()
	if err != nil {
		writeProblem(w, r, http.StatusUnsupportedMediaType, "unsupported-media-type", "upload the documents as multipart/form-data, one file part per document")
		return
	}
	limit := h.Service.Reader.maxBytes()
	var inputs []Input
	asOf := time.Time{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeProblem(w, r, http.StatusRequestEntityTooLarge, "body-too-large", fmt.Sprintf("the upload is over %d bytes; send fewer documents per review", h.maxRequest()))
				return
			}
			writeProblem(w, r, http.StatusBadRequest, "malformed-multipart", "the multipart body is malformed: "+err.Error())
			return
		}
		if part.FileName() == "" {
			if part.FormName() == "as_of" {
				raw, _ := io.ReadAll(io.LimitReader(part, 64))
				t, perr := time.Parse(dateLayout, strings.TrimSpace(string(raw)))
				if perr != nil {
					writeProblem(w, r, http.StatusBadRequest, "invalid-request", "as_of must be a date such as 2025-06-30")
					return
				}
				asOf = t
			}
			continue
		}
		if len(inputs) == MaxDocuments {
			writeProblem(w, r, http.StatusRequestEntityTooLarge, "too-many-documents", fmt.Sprintf("one review takes at most %d documents", MaxDocuments))
			return
		}
		in, err := ReadInput(cleanName(part.FileName()), part, limit)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeProblem(w, r, http.StatusRequestEntityTooLarge, "body-too-large", fmt.Sprintf("the upload is over %d bytes; send fewer documents per review", h.maxRequest()))
				return
			}
			writeProblem(w, r, http.StatusBadRequest, "malformed-multipart", err.Error())
			return
		}
		if in.Size > limit {
			writeProblem(w, r, http.StatusRequestEntityTooLarge, "document-too-large", fmt.Sprintf("%s is %d bytes and the limit is %d; split the document", in.Name, in.Size, limit))
			return
		}
		inputs = append(inputs, in)
	}
	if len(inputs) == 0 {
		writeProblem(w, r, http.StatusBadRequest, "no-documents", "attach at least one document as a file part")
		return
	}
	rv, err := h.Service.Review(ctx, h.Tenant(r), h.Actor(r), r.PathValue("id"), inputs, asOf)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		storeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/vendors/"+rv.VendorID+"/reviews/"+rv.ID)
	writeJSON(w, http.StatusCreated, rv)
}

// cleanName keeps the base name of an uploaded file, as browsers may send
// full paths.
func cleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		return "document"
	}
	return name
}

func (h *Handler) getReview(w http.ResponseWriter, r *http.Request) {
	rv, err := h.Service.Store.Review(r.Context(), h.Tenant(r), r.PathValue("rid"))
	if err == nil && rv.VendorID != r.PathValue("id") {
		err = ErrNotFound
	}
	if err != nil {
		storeError(w, r, fmt.Errorf("review %s: %w", r.PathValue("rid"), err))
		return
	}
	switch r.URL.Query().Get("format") {
	case "", "json":
		writeJSON(w, http.StatusOK, rv)
	case "html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		WriteHTML(w, &rv)
	default:
		writeProblem(w, r, http.StatusBadRequest, "invalid-request", "format must be json or html")
	}
}

func (h *Handler) calendar(w http.ResponseWriter, r *http.Request) {
	asOf := time.Now()
	if s := r.URL.Query().Get("as_of"); s != "" {
		t, err := time.Parse(dateLayout, s)
		if err != nil {
			writeProblem(w, r, http.StatusBadRequest, "invalid-request", "as_of must be a date such as 2025-06-30")
			return
		}
		asOf = t
	}
	entries, err := h.Service.Calendar(r.Context(), h.Tenant(r), asOf)
	if err != nil {
		storeError(w, r, err)
		return
	}
	if entries == nil {
		entries = []CalendarEntry{}
	}
	writeJSON(w, http.StatusOK, entries)
}
