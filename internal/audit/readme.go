package audit

import (
	"bytes"
	"text/template"
	"time"
)

var readmeText = template.Must(template.New("readme").Funcs(template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}).Parse(`# attest auditor package {{.PackageID}}

Observation period: {{date .From}} to {{date .To}} (ledger entries {{.RangeStart}} to {{.RangeEnd}}).
Generated {{date .Generated}} from control catalog {{.Catalog}}.
Sampling seed supplied by the auditor: {{printf "%q" .Seed}}

Everything in this package can be checked offline, without trusting the
organization that produced it and without a running attest server. You need
the attest binary and the ledger's verifier key, which you must obtain out
of band (from the organization's published key or its 'attest ledger key'
output). The copy in key.pub is for reference only: anyone who could change
the package could change that file too.

## Verify

1. Check every file, every signature and every proof in one step:

       attest audit verify {{"<this directory or the .zip>"}} --key '<verifier key>'

   This recomputes the SHA-256 of every file against MANIFEST.sha256 (any
   added, removed or modified file fails and is named), verifies the ledger
   bundle entry by entry, checks every signed checkpoint in proofs/, the
   consistency proofs that chain them, and the inclusion proof of every
   sample and of every sample.selected record.

2. Verify the ledger bundle on its own, recomputing every entry hash and
   tile and naming the first index that disagrees:

       attest ledger verify --bundle ledger --key '<verifier key>'

3. Optionally, 'sha256sum -c MANIFEST.sha256' checks the file digests with
   standard tools. The manifest's own SHA-256 was recorded in the ledger as
   an audit.exported event after this package was written, so a later
   export proves which manifest was handed over.

## Contents

- controls/matrix.csv, controls/matrix.html: the control matrix: every
  control with its criteria, owner, frequency, tests, latest status and
  whether it operated throughout the period. A status of not_applicable
  means the scope held nothing the control applies to, such as no provider
  credential to rotate; its reason in the ledger says why. It is neither a
  pass nor an exception.
- controls/system-description.md (and .json): the service, its commitments
  and its components by lifecycle stage, each linked to its controls.
- controls/history.json: per control, every exception in the period with its
  start, end, duration and remediation; controls/poam.json: open exceptions
  with owners and due dates; controls/catalog.json: the catalog used.
- oscal/: the catalog, the assessment results and the POA&M as OSCAL {{"1.1.3"}} JSON.
- samples/<control>.json: the sampled ledger entries of each control, each
  with its inclusion proof against the closing checkpoint (size {{.Closing}}).
- proofs/checkpoints/<size>: the signed checkpoints used: the last before
  the period{{if .Opening}} (size {{.Opening}}){{end}}, the first of each day, the closing one and the
  bundle's (size {{.Bundle}}). proofs/consistency.json proves each is an
  append-only extension of the one before.
- proofs/selection.json: the sample.selected ledger records of this package,
  proven against the bundle's checkpoint.
- ledger/: the ledger bundle (C2SP tlog-tiles layout) with every entry up to
  checkpoint {{.Bundle}}.
- package.json: these facts in machine-readable form.

## How samples were chosen

For each control, the population is every ledger entry in the period of the
control's evidence types (its own control.evaluated or control.attested
records, found by their control subject, plus the event types the catalog
lists). The entries are sorted by index and a partial Fisher-Yates shuffle
picks the sample, driven by ChaCha8 seeded with SHA-256(seed, a zero byte,
control id). High-volume inference events are instead drawn by picking
random indexes in the period's index range with the same generator and
keeping those of the right type. The sample size follows the control's
frequency: 25 for continuous and daily controls, 10 weekly, 3 monthly, 2
quarterly and 1 annually, or the whole population if it is smaller. The
selection was recorded in the ledger before the bundle was exported, so
it cannot have been changed afterwards.
`))

func readme(info Info) string {
	var b bytes.Buffer
	if err := readmeText.Execute(&b, info); err != nil {
		panic(err) // the template is fixed and tested
	}
	return b.String()
}
