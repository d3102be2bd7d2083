package audit

import (
	"crypto/sha1"
	"fmt"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/controls"
)

// OSCALVersion is the OSCAL release the exports conform to.
const OSCALVersion = "1.1.3"

// ns qualifies attest's own OSCAL property names.
const ns = "https://attest.dev/ns/oscal"

// uuidNamespace seeds the name-based UUIDs of OSCAL objects, so the same
// control in the same export always gets the same UUID.
var uuidNamespace = [16]byte{0x6b, 0x1f, 0x2e, 0x53, 0x9c, 0x0d, 0x4a, 0x7e, 0x8f, 0x31, 0x5a, 0x90, 0xe2, 0x44, 0x17, 0xc8}

// uuid5 is an RFC 4122 version 5 (SHA-1, name-based) UUID.
func uuid5(name string) string {
	h := sha1.New()
	h.Write(uuidNamespace[:])
	h.Write([]byte(name))
	s := h.Sum(nil)
	s[6] = s[6]&0x0f | 0x50
	s[8] = s[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}

// OSCAL JSON shapes, limited to the fields attest fills.
type (
	oscalMetadata struct {
		Title        string      `json:"title"`
		LastModified string      `json:"last-modified"`
		Version      string      `json:"version"`
		OSCALVersion string      `json:"oscal-version"`
		Props        []oscalProp `json:"props,omitempty"`
		Remarks      string      `json:"remarks,omitempty"`
	}
	oscalProp struct {
		Name  string `json:"name"`
		Value string `json:"value"`
		NS    string `json:"ns,omitempty"`
	}
	oscalLink struct {
		Href string `json:"href"`
		Rel  string `json:"rel,omitempty"`
		Text string `json:"text,omitempty"`
	}
	oscalPart struct {
		ID    string `json:"id,omitempty"`
		Name  string `json:"name"`
		Prose string `json:"prose,omitempty"`
	}
	oscalControl struct {
		ID    string      `json:"id"`
		Class string      `json:"class,omitempty"`
		Title string      `json:"title"`
		Props []oscalProp `json:"props,omitempty"`
		Links []oscalLink `json:"links,omitempty"`
		Parts []oscalPart `json:"parts,omitempty"`
	}
	oscalGroup struct {
		ID       string         `json:"id"`
		Class    string         `json:"class,omitempty"`
		Title    string         `json:"title"`
		Controls []oscalControl `json:"controls"`
	}
)

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func prop(name, value string) oscalProp { return oscalProp{Name: name, Value: value, NS: ns} }

// oscalID turns an attest id into an OSCAL token (an XML NCName).
func oscalID(s string) string {
	s = strings.ToLower(s)
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// OSCALCatalog renders the catalog: one group with the Trust Services
// Criteria, then one group per control family whose controls link to the
// criteria they serve.
func OSCALCatalog(cat *controls.Catalog, now time.Time) map[string]any {
	crit := oscalGroup{ID: "tsc", Class: "criteria", Title: "Trust Services Criteria (titles written by attest)"}
	for _, c := range cat.Criteria {
		crit.Controls = append(crit.Controls, oscalControl{ID: oscalID(c.ID), Class: "criterion", Title: c.Title,
			Props: []oscalProp{{Name: "label", Value: c.ID}, prop("category", c.Category)}})
	}
	groups := []oscalGroup{crit}
	families := map[string]int{}
	for _, k := range cat.Controls {
		i, ok := families[k.Family]
		if !ok {
			i = len(groups)
			families[k.Family] = i
			groups = append(groups, oscalGroup{ID: "family-" + oscalID(k.Family), Class: "family", Title: "Family: " + k.Family})
		}
		oc := oscalControl{ID: oscalID(k.ID), Class: "attest-control", Title: k.Title,
			Props: []oscalProp{{Name: "label", Value: k.ID}, prop("owner", k.Owner), prop("frequency", string(k.Frequency))},
			Parts: []oscalPart{{ID: oscalID(k.ID) + "_obj", Name: "objective", Prose: k.Objective}},
		}
		if k.Automated() {
			oc.Props = append(oc.Props, prop("method", "automated"))
			for _, ch := range k.Checks {
				oc.Props = append(oc.Props, prop("check", ch))
			}
		} else {
			oc.Props = append(oc.Props, prop("method", "attestation"), prop("evidence-expiry", k.Attestation.Expiry.String()))
			oc.Parts = append(oc.Parts, oscalPart{ID: oscalID(k.ID) + "_gdn", Name: "guidance", Prose: k.Attestation.Instructions})
		}
		for _, e := range k.Evidence {
			oc.Props = append(oc.Props, prop("evidence-source", e))
		}
		for _, c := range k.Criteria {
			oc.Links = append(oc.Links, oscalLink{Href: "#" + oscalID(c), Rel: "related", Text: c})
		}
		groups[i].Controls = append(groups[i].Controls, oc)
	}
	return map[string]any{"catalog": map[string]any{
		"uuid": uuid5("catalog/" + cat.Version),
		"metadata": oscalMetadata{Title: "attest control catalog", LastModified: timestamp(now), Version: cat.Version, OSCALVersion: OSCALVersion,
			Remarks: "Criteria titles are attest's own summaries, not the AICPA text."},
		"groups": groups,
	}}
}

// ResultsInput is what the assessment results and POA&M describe.
type ResultsInput struct {
	Catalog   *controls.Catalog
	Last      *controls.RunResult
	History   []controls.ControlHistory
	POAM      []controls.POAMItem
	From, To  time.Time
	Generated time.Time
	// PackageID ties the documents to one auditor package.
	PackageID string
}

// OSCALAssessmentResults renders one result for the observation period:
// per control a finding (satisfied when it operated throughout) backed by
// an observation that cites the ledger evidence.
func OSCALAssessmentResults(in ResultsInput) map[string]any {
	var findings, observations []map[string]any
	var include []map[string]any
	for _, h := range in.History {
		include = append(include, map[string]any{"control-id": oscalID(h.Control)})
		obsUUID := uuid5(in.PackageID + "/obs/" + h.Control)
		desc := fmt.Sprintf("%d evaluations recorded in the ledger between %s and %s, %d passing, %d exceptions.",
			h.Evaluations, timestamp(in.From), timestamp(in.To), h.Passing, len(h.Exceptions))
		if h.NotApplicable > 0 {
			desc += fmt.Sprintf(" %d evaluations found the control not applicable.", h.NotApplicable)
		}
		obs := map[string]any{
			"uuid": obsUUID, "title": "Operating history of " + h.Control, "description": desc,
			"methods": []string{"TEST"}, "types": []string{"control-objective"}, "collected": timestamp(in.Generated),
			"relevant-evidence": []map[string]any{{
				"href":        "../controls/history.json#" + h.Control,
				"description": "control.evaluated ledger events for " + h.Control + "; samples with inclusion proofs are in samples/" + h.Control + ".json",
			}},
		}
		if h.Last != nil {
			obs["props"] = []oscalProp{prop("last-status", string(h.Last.Status)), prop("last-evaluation-index", fmt.Sprint(h.Last.Index))}
		}
		observations = append(observations, obs)
		target := map[string]any{"type": "objective-id", "target-id": oscalID(h.Control) + "_obj",
			"status": map[string]any{"state": "satisfied", "reason": "pass"}}
		fdesc := "The control operated throughout the period."
		if na := notApplicableThroughout(h); na != "" {
			fdesc = "The control was not applicable throughout the period: " + na
			notApplicableTarget(target, na)
		}
		if !h.Operated {
			target["status"] = map[string]any{"state": "not-satisfied", "reason": "fail"}
			var parts []string
			for _, e := range h.Exceptions {
				end := "still open"
				if !e.Open {
					end = "until " + timestamp(e.End)
				}
				parts = append(parts, fmt.Sprintf("%s from %s %s: %s", e.Kind, timestamp(e.Start), end, e.Reason))
			}
			fdesc = "Exceptions: " + strings.Join(parts, "; ")
		}
		findings = append(findings, map[string]any{
			"uuid": uuid5(in.PackageID + "/finding/" + h.Control), "title": h.Control + ": " + h.Title, "description": fdesc,
			"target":               target,
			"related-observations": []map[string]any{{"observation-uuid": obsUUID}},
		})
	}
	result := map[string]any{
		"uuid": uuid5(in.PackageID + "/result"), "title": "Type 2 observation period",
		"description": fmt.Sprintf("Continuous evaluation of %d controls by attest from %s to %s.", len(in.History), timestamp(in.From), timestamp(in.To)),
		"start":       timestamp(in.From), "end": timestamp(in.To),
		"reviewed-controls": map[string]any{"control-selections": []map[string]any{{"include-controls": include}}},
	}
	if len(observations) > 0 {
		result["observations"], result["findings"] = observations, findings
	}
	return map[string]any{"assessment-results": map[string]any{
		"uuid":      uuid5(in.PackageID + "/assessment-results"),
		"metadata":  oscalMetadata{Title: "attest assessment results", LastModified: timestamp(in.Generated), Version: in.Catalog.Version, OSCALVersion: OSCALVersion, Props: []oscalProp{prop("package-id", in.PackageID)}},
		"import-ap": map[string]any{"href": "./catalog.json", "remarks": "attest evaluates the catalog's controls continuously; there is no separate assessment plan."},
		"results":   []any{result},
	}}
}

// notApplicableThroughout returns why the control was not applicable at
// every evaluation of the period, or "" if it applied at any of them or
// has exceptions.
func notApplicableThroughout(h controls.ControlHistory) string {
	if !h.Operated || h.Evaluations == 0 || h.NotApplicable != h.Evaluations || h.Last == nil {
		return ""
	}
	if h.Last.Reason == "" {
		return "see the control.evaluated events"
	}
	return h.Last.Reason
}

// notApplicableTarget marks a finding target not applicable. OSCAL's
// objective status is only satisfied or not-satisfied; a control with
// nothing to apply to has no deficiency, so it is satisfied for reason
// "other", and the target's implementation status says not-applicable
// and why.
func notApplicableTarget(target map[string]any, why string) {
	target["status"] = map[string]any{"state": "satisfied", "reason": "other", "remarks": "Not applicable: " + why}
	target["implementation-status"] = map[string]any{"state": "not-applicable", "remarks": why}
}

// OSCALPOAM renders the plan of action and milestones: one item per open
// exception, with its owner and due date.
func OSCALPOAM(in ResultsInput) map[string]any {
	items := []map[string]any{}
	for _, it := range in.POAM {
		props := []oscalProp{prop("control-id", it.Control), prop("owner", it.Owner), prop("detected", timestamp(it.Detected)),
			prop("due", timestamp(it.Due)), prop("status", string(it.Status))}
		if it.Overdue {
			props = append(props, prop("overdue", "true"))
		}
		items = append(items, map[string]any{
			"uuid":        uuid5(in.PackageID + "/poam/" + it.ID),
			"title":       it.ID + ": " + it.Title,
			"description": it.Weakness,
			"props":       props,
		})
	}
	if len(items) == 0 {
		// OSCAL requires at least one item; say plainly that none is open.
		items = append(items, map[string]any{
			"uuid": uuid5(in.PackageID + "/poam/none"), "title": "No open exceptions",
			"description": "No control had an open exception at " + timestamp(in.To) + ".",
			"props":       []oscalProp{prop("placeholder", "true")},
		})
	}
	doc := map[string]any{
		"uuid":       uuid5(in.PackageID + "/poam"),
		"metadata":   oscalMetadata{Title: "attest plan of action and milestones", LastModified: timestamp(in.Generated), Version: in.Catalog.Version, OSCALVersion: OSCALVersion, Props: []oscalProp{prop("package-id", in.PackageID)}},
		"poam-items": items,
	}
	return map[string]any{"plan-of-action-and-milestones": doc}
}
