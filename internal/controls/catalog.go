// Package controls is attest's continuous-compliance engine: a versioned
// catalog of controls mapped to the Trust Services Criteria, automated
// checks over ledger evidence and store state, and the history that shows
// whether each control operated throughout an observation period.
//
// Controls only read. A check reads evidence and returns a result; the
// engine records every result as a control.evaluated ledger event, so the
// operating history itself is evidence an auditor can verify.
package controls

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed catalog/*.yaml
var builtin embed.FS

// Categories of the Trust Services Criteria.
var categories = []string{"security", "availability", "confidentiality", "processing_integrity", "privacy"}

// Criterion is one Trust Services Criterion: its identifier and a short
// title in attest's own words.
type Criterion struct {
	ID       string `yaml:"id" json:"id"`
	Category string `yaml:"category" json:"category"`
	Title    string `yaml:"title" json:"title"`
}

// Frequency is how often a control operates.
type Frequency string

// Frequencies, from most to least often.
const (
	Continuous Frequency = "continuous"
	Daily      Frequency = "daily"
	Weekly     Frequency = "weekly"
	Monthly    Frequency = "monthly"
	Quarterly  Frequency = "quarterly"
	Annually   Frequency = "annually"
)

var frequencies = []Frequency{Continuous, Daily, Weekly, Monthly, Quarterly, Annually}

// Attestation is how a manual control is evidenced: someone uploads a file
// and states that the control operated. The evidence expires.
type Attestation struct {
	Instructions string   `yaml:"instructions" json:"instructions"`
	Expiry       Duration `yaml:"expiry" json:"expiry"`
}

// Control is one control of the catalog.
type Control struct {
	ID        string    `yaml:"id" json:"id"`
	Title     string    `yaml:"title" json:"title"`
	Family    string    `yaml:"family" json:"family"`
	Objective string    `yaml:"objective" json:"objective"`
	Criteria  []string  `yaml:"criteria" json:"criteria"`
	Owner     string    `yaml:"owner" json:"owner"`
	Frequency Frequency `yaml:"frequency" json:"frequency"`
	// Evidence lists where evidence comes from: ledger event types, or
	// "store:keys" and "store:checkpoints" for store state.
	Evidence    []string     `yaml:"evidence" json:"evidence"`
	Checks      []string     `yaml:"checks,omitempty" json:"checks,omitempty"`
	Attestation *Attestation `yaml:"attestation,omitempty" json:"attestation,omitempty"`
	// Components lists the component kinds the control covers, which is
	// how scoping links components to controls.
	Components []string `yaml:"components,omitempty" json:"components,omitempty"`
	// RemediationDays is how long an exception may stay open before it is
	// overdue in the POA&M; zero means 30 days.
	RemediationDays int `yaml:"remediation_days,omitempty" json:"remediation_days,omitempty"`
	// Source is "builtin" or the file a user control came from.
	Source string `yaml:"-" json:"source"`
}

// Automated reports whether checks evaluate the control.
func (c *Control) Automated() bool { return len(c.Checks) > 0 }

// Catalog is the set of criteria and controls in force.
type Catalog struct {
	Version  string      `json:"version"`
	Criteria []Criterion `json:"criteria"`
	Controls []Control   `json:"controls"`

	criteria map[string]*Criterion
	controls map[string]*Control
}

// Criterion returns a criterion by id.
func (c *Catalog) Criterion(id string) (*Criterion, bool) {
	x, ok := c.criteria[id]
	return x, ok
}

// Control returns a control by id.
func (c *Catalog) Control(id string) (*Control, bool) {
	x, ok := c.controls[id]
	return x, ok
}

// ControlsFor lists the controls mapped to a criterion.
func (c *Catalog) ControlsFor(criterion string) []*Control {
	var out []*Control
	for i := range c.Controls {
		if slices.Contains(c.Controls[i].Criteria, criterion) {
			out = append(out, &c.Controls[i])
		}
	}
	return out
}

type criteriaFile struct {
	Version  string      `yaml:"version"`
	Criteria []Criterion `yaml:"criteria"`
}

type controlsFile struct {
	Version  string    `yaml:"version"`
	Controls []Control `yaml:"controls"`
}

// maxCatalogFile bounds one user catalog file.
const maxCatalogFile = 4 << 20

// Builtin returns the catalog embedded in the binary.
func Builtin() (*Catalog, error) {
	return Load("")
}

// Load returns the embedded catalog merged with every *.yaml or *.yml file
// in dir (if dir is not empty). A user control with the id of a built-in
// control replaces it; any other id adds a control.
func Load(dir string) (*Catalog, error) {
	cb, err := builtin.ReadFile("catalog/criteria.yaml")
	if err != nil {
		return nil, err
	}
	var cf criteriaFile
	if err := decodeStrict(cb, &cf); err != nil {
		return nil, fmt.Errorf("built-in criteria: %w", err)
	}
	kb, err := builtin.ReadFile("catalog/controls.yaml")
	if err != nil {
		return nil, err
	}
	var kf controlsFile
	if err := decodeStrict(kb, &kf); err != nil {
		return nil, fmt.Errorf("built-in controls: %w", err)
	}
	for i := range kf.Controls {
		kf.Controls[i].Source = "builtin"
	}
	cat := &Catalog{Version: kf.Version, Criteria: cf.Criteria, Controls: kf.Controls}
	if dir != "" {
		if err := cat.addDir(dir); err != nil {
			return nil, err
		}
	}
	if err := cat.index(); err != nil {
		return nil, err
	}
	return cat, nil
}

func (c *Catalog) addDir(dir string) error {
	var files []string
	for _, pat := range []string{"*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return err
		}
		files = append(files, m...)
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("controls directory: %w", err)
	}
	sort.Strings(files)
	var versions []string
	for _, f := range files {
		b, err := readLimited(f)
		if err != nil {
			return err
		}
		user, err := ParseControls(b)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		versions = append(versions, filepath.Base(f)+"@"+user.Version)
		for _, uc := range user.Controls {
			uc.Source = filepath.Base(f)
			if i := slices.IndexFunc(c.Controls, func(x Control) bool { return x.ID == uc.ID }); i >= 0 {
				c.Controls[i] = uc
			} else {
				c.Controls = append(c.Controls, uc)
			}
		}
	}
	if len(versions) > 0 {
		c.Version += "+" + strings.Join(versions, "+")
	}
	return nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read controls file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCatalogFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxCatalogFile {
		return nil, fmt.Errorf("%s is over %d bytes; split it into several files", path, maxCatalogFile)
	}
	return b, nil
}

// ControlsFile is a parsed user file of controls.
type ControlsFile struct {
	Version  string
	Controls []Control
}

// ParseControls parses a user controls file: a "version" and a list of
// "controls" with the same fields as the built-in catalog. Each control is
// checked on its own; references to criteria and checks are checked when
// the catalog is assembled.
func ParseControls(b []byte) (ControlsFile, error) {
	var kf controlsFile
	if err := decodeStrict(b, &kf); err != nil {
		return ControlsFile{}, err
	}
	if strings.TrimSpace(kf.Version) == "" {
		return ControlsFile{}, errors.New("the file needs a top-level \"version\" so results can name the catalog they used")
	}
	if len(kf.Controls) == 0 {
		return ControlsFile{}, errors.New("the file defines no controls; add a \"controls:\" list")
	}
	for i := range kf.Controls {
		if err := kf.Controls[i].validateShape(); err != nil {
			return ControlsFile{}, err
		}
	}
	return ControlsFile(kf), nil
}

func decodeStrict(b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("parse YAML: %w", err)
	}
	return nil
}

var (
	controlIDPattern   = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$`)
	criterionIDPattern = regexp.MustCompile(`^(CC[1-9]\.[1-9]|A1\.[1-3]|C1\.[12]|PI1\.[1-5]|P[1-8]\.[1-7])$`)
)

// validateShape checks what a control must hold on its own.
func (c *Control) validateShape() error {
	if !controlIDPattern.MatchString(c.ID) {
		return fmt.Errorf("control id %q must be upper-case words joined by dashes, such as \"ACME-SEC-01\"", c.ID)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("control %s: "+format, append([]any{c.ID}, a...)...)
	}
	if strings.TrimSpace(c.Title) == "" || len(c.Title) > 200 {
		return bad("needs a title of 1-200 characters")
	}
	if strings.TrimSpace(c.Objective) == "" {
		return bad("needs an objective that says what the control achieves")
	}
	if strings.TrimSpace(c.Owner) == "" {
		return bad("needs an owner (a role or team, such as \"security-lead\")")
	}
	if !slices.Contains(frequencies, c.Frequency) {
		return bad("frequency %q must be one of continuous, daily, weekly, monthly, quarterly, annually", c.Frequency)
	}
	if len(c.Criteria) == 0 {
		return bad("maps to no criteria; list at least one, such as [CC6.1]")
	}
	for _, id := range c.Criteria {
		if !criterionIDPattern.MatchString(id) {
			return bad("criterion %q is not a Trust Services Criterion id such as CC6.1 or P4.2", id)
		}
	}
	if len(c.Evidence) == 0 {
		return bad("lists no evidence sources; name the ledger event types it relies on")
	}
	switch {
	case len(c.Checks) > 0 && c.Attestation != nil:
		return bad("has both checks and an attestation; split it into an automated and a manual control")
	case len(c.Checks) == 0 && c.Attestation == nil:
		return bad("needs automated checks or an attestation with an evidence expiry")
	case c.Attestation != nil && c.Attestation.Expiry.D <= 0:
		return bad("attestation needs an evidence expiry such as 365d")
	}
	if c.RemediationDays < 0 || c.RemediationDays > 365 {
		return bad("remediation_days must be between 0 and 365")
	}
	return nil
}

// index validates the whole catalog and builds its lookups.
func (c *Catalog) index() error {
	c.criteria = make(map[string]*Criterion, len(c.Criteria))
	for i := range c.Criteria {
		cr := &c.Criteria[i]
		if !criterionIDPattern.MatchString(cr.ID) {
			return fmt.Errorf("criterion id %q is malformed", cr.ID)
		}
		if !slices.Contains(categories, cr.Category) {
			return fmt.Errorf("criterion %s: unknown category %q", cr.ID, cr.Category)
		}
		if _, dup := c.criteria[cr.ID]; dup {
			return fmt.Errorf("criterion %s is listed twice", cr.ID)
		}
		c.criteria[cr.ID] = cr
	}
	c.controls = make(map[string]*Control, len(c.Controls))
	for i := range c.Controls {
		k := &c.Controls[i]
		if err := k.validateShape(); err != nil {
			return err
		}
		if _, dup := c.controls[k.ID]; dup {
			return fmt.Errorf("control %s is defined twice", k.ID)
		}
		for _, id := range k.Criteria {
			if _, ok := c.criteria[id]; !ok {
				return fmt.Errorf("control %s maps to %s, which is not in the criteria list", k.ID, id)
			}
		}
		for _, ch := range k.Checks {
			if _, ok := checks[ch]; !ok {
				return fmt.Errorf("control %s uses check %q, which does not exist; run 'attest controls checks' for the list", k.ID, ch)
			}
		}
		c.controls[k.ID] = k
	}
	return nil
}
