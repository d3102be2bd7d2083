// Package vendor triages an AI vendor's security packet: SOC 2 reports,
// bridge letters, penetration-test summaries, data-flow descriptions,
// policy indexes and DPAs. It reads the documents itself, offline and
// deterministically, and cites the page and words behind every answer.
//
// A review runs in stages, each in its own file:
//
//   - text: pure-Go PDF text extraction (pdf*.go), with a pdftotext
//     fallback and a check for scans, garbling and non-English text;
//   - classify: which of the ten document kinds a file is;
//   - extract: parties, period, report date, opinion, scope, AI scope,
//     subservice organizations, CUECs, test exceptions, commitments, and
//     the fields of bridge letters, pen tests, data flows and policies;
//   - check and flags: the six-question ten-minute check and the red flags,
//     each with a recommended response;
//   - clauses: contract clauses, parameterised;
//   - render: terminal summary, JSON and a self-contained HTML report.
//
// The registry (Store, MemStore, Service) keeps vendors, document digests
// and reviews, computes the renewal calendar, checks that every gateway
// provider has a current review, and records vendor.registered,
// vendor.reviewed and vendor.alert events in the ledger. Document text
// never leaves the review: the ledger holds digests, kinds, verdicts and
// red-flag codes only.
//
// Note that a directory named "vendor" hides its subdirectories from the
// go command, which treats them as vendored code; this package is
// therefore one flat package.
package vendor
