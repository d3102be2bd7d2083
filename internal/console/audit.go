package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/attest-ai/attest/internal/access"
)

// exportJob is one audit export running in the background. Jobs live in
// this process; the packages they write stay on disk.
type exportJob struct {
	ID      string
	Tenant  string
	By      string
	From    time.Time
	To      time.Time
	Seed    string
	Started time.Time

	mu       sync.Mutex
	stage    string
	done     uint64
	total    uint64
	finished time.Time
	err      string
	pkg      AuditPackage
}

// jobState is a consistent copy of a job for a template.
type jobState struct {
	ID, Tenant, By, Seed string
	From, To, Started    time.Time
	Stage                string
	Done, Total          uint64
	Percent              float64
	Running              bool
	Finished             time.Time
	Error                string
	Package              AuditPackage
}

func (j *exportJob) state() jobState {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := jobState{ID: j.ID, Tenant: j.Tenant, By: j.By, Seed: j.Seed, From: j.From, To: j.To, Started: j.Started,
		Stage: j.stage, Done: j.done, Total: j.total, Running: j.finished.IsZero(), Finished: j.finished, Error: j.err, Package: j.pkg}
	if j.total > 0 {
		s.Percent = float64(j.done) * 100 / float64(j.total)
	}
	if !s.Running && s.Error == "" {
		s.Percent = 100
	}
	return s
}

func (j *exportJob) progress(stage string, done, total uint64) {
	j.mu.Lock()
	j.stage, j.done, j.total = stage, done, total
	j.mu.Unlock()
}

// exports keeps the most recent jobs.
type exports struct {
	dir  string
	mu   sync.Mutex
	jobs []*exportJob
}

const maxJobs = 20

func newExports(dataDir string) *exports {
	dir := filepath.Join(os.TempDir(), "attest-console-exports")
	if dataDir != "" {
		dir = filepath.Join(dataDir, "console-exports")
	}
	return &exports{dir: dir}
}

func (e *exports) add(j *exportJob) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.jobs = append(e.jobs, j)
	if len(e.jobs) > maxJobs {
		e.jobs = slices.Delete(e.jobs, 0, len(e.jobs)-maxJobs)
	}
}

func (e *exports) get(id string) *exportJob {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, j := range e.jobs {
		if j.ID == id {
			return j
		}
	}
	return nil
}

// visible lists the jobs a viewer may see, newest first.
func (e *exports) visible(v *viewer) []jobState {
	e.mu.Lock()
	jobs := slices.Clone(e.jobs)
	e.mu.Unlock()
	var out []jobState
	for i := len(jobs) - 1; i >= 0; i-- {
		if canSeeJob(v, jobs[i]) {
			out = append(out, jobs[i].state())
		}
	}
	return out
}

func canSeeJob(v *viewer, j *exportJob) bool {
	return v.User.Role.CrossTenant() || j.Tenant == v.User.Tenant
}

type auditData struct {
	Configured bool
	From, To   string
	Seed       string
	Jobs       []jobState
	Job        *jobState
}

// exportTimeout bounds one export.
const exportTimeout = time.Hour

func (c *Console) auditPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	c.renderAudit(w, r, v, http.StatusOK, auditData{}, "")
}

func (c *Console) renderAudit(w http.ResponseWriter, r *http.Request, v *viewer, status int, d auditData, problem string) {
	d.Configured = c.d.Audit != nil
	if d.To == "" {
		now := c.now().UTC()
		d.To = now.Format("2006-01-02")
		d.From = now.AddDate(0, -3, 0).Format("2006-01-02")
		if c.d.Controls != nil {
			if rd, err := c.d.Controls.Readiness(r.Context(), v.User.Tenant); err == nil && !rd.ObservationStart.IsZero() {
				d.From = rd.ObservationStart.UTC().Format("2006-01-02")
			}
		}
	}
	if d.Seed == "" {
		b := make([]byte, 8)
		rand.Read(b)
		d.Seed = hex.EncodeToString(b)
	}
	d.Jobs = c.exports.visible(v)
	c.render(w, r, status, "audit", &view{V: v, Title: "Audit", Nav: "audit", Error: problem, Data: d})
}

func (c *Console) startExport(w http.ResponseWriter, r *http.Request, v *viewer) {
	if c.d.Audit == nil {
		c.fail(w, r, v, http.StatusNotFound, "The audit exporter is not configured.")
		return
	}
	d := auditData{From: clip(r.PostFormValue("from"), 10), To: clip(r.PostFormValue("to"), 10), Seed: clip(r.PostFormValue("seed"), 256)}
	from, err1 := time.Parse("2006-01-02", d.From)
	to, err2 := time.Parse("2006-01-02", d.To)
	switch {
	case err1 != nil || err2 != nil:
		c.renderAudit(w, r, v, http.StatusBadRequest, d, "Choose the period with two dates such as 2026-01-01.")
		return
	case !from.Before(to):
		c.renderAudit(w, r, v, http.StatusBadRequest, d, "The period must start before it ends.")
		return
	case d.Seed == "":
		c.renderAudit(w, r, v, http.StatusBadRequest, d, "Enter a seed: the auditor's random value that drives sample selection.")
		return
	}
	b := make([]byte, 8)
	rand.Read(b)
	j := &exportJob{ID: "exp-" + hex.EncodeToString(b), Tenant: v.User.Tenant, By: v.User.Name, From: from, To: to, Seed: d.Seed, Started: c.now().UTC(), stage: "starting"}
	if err := os.MkdirAll(c.exports.dir, 0o700); err != nil {
		c.internal(w, r, v, fmt.Errorf("create export directory: %w", err))
		return
	}
	c.exports.add(j)
	// The last day is included: the exporter's end is exclusive.
	req := AuditRequest{Tenant: j.Tenant, From: from, To: to.Add(24 * time.Hour), Seed: j.Seed, Dir: filepath.Join(c.exports.dir, j.ID), Actor: v.User.Actor(), Progress: j.progress}
	go c.runExport(j, req)
	redirect(w, r, "/audit/exports/"+j.ID)
}

func (c *Console) runExport(j *exportJob, req AuditRequest) {
	ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
	defer cancel()
	pkg, err := c.d.Audit.Export(ctx, req)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.finished = c.now().UTC()
	if err != nil {
		c.d.Logger.Error("console audit export", "job", j.ID, "err", err)
		j.err = err.Error()
		return
	}
	j.pkg, j.stage = pkg, "done"
}

func (c *Console) job(w http.ResponseWriter, r *http.Request, v *viewer) *exportJob {
	j := c.exports.get(r.PathValue("id"))
	if j == nil || !canSeeJob(v, j) {
		c.fail(w, r, v, http.StatusNotFound, "No such export. Exports are kept until the server restarts; start a new one on the Audit page.")
		return nil
	}
	return j
}

func (c *Console) exportPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	j := c.job(w, r, v)
	if j == nil {
		return
	}
	s := j.state()
	c.renderAudit(w, r, v, http.StatusOK, auditData{Job: &s}, "")
}

func (c *Console) downloadExport(w http.ResponseWriter, r *http.Request, v *viewer) {
	j := c.job(w, r, v)
	if j == nil {
		return
	}
	// The package holds the whole ledger, every tenant's events: it is for
	// those who may export one and for auditors, not every reader.
	if !v.User.Role.CrossTenant() && !v.User.Role.Can(access.PermCompliance) {
		c.fail(w, r, v, http.StatusForbidden, "The audit package holds the events of every tenant, so it is downloaded by admins, compliance users and auditors.")
		return
	}
	s := j.state()
	if s.Running || s.Error != "" || s.Package.Zip == "" {
		c.fail(w, r, v, http.StatusConflict, "This export has no package to download yet.")
		return
	}
	f, err := os.Open(s.Package.Zip)
	if err != nil {
		c.internal(w, r, v, err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		c.internal(w, r, v, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="attest-audit-`+j.ID+`.zip"`)
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(w, r, "", fi.ModTime(), f)
}
