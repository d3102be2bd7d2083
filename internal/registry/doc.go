// Package registry is attest's model lifecycle: models and their versions,
// datasets, prompt templates and evaluation suites; OMS signatures checked
// against each tenant's trusted keys; SLSA provenance and OpenLineage runs;
// evaluation gates; change requests with separation of duties; deployment
// aliases the gateway asks before serving; and drift monitoring.
//
// State lives in the records store (versioned JSON documents with optimistic
// concurrency); every change of state is first recorded in the ledger, so
// the ledger alone tells the whole story and the records are a fast index
// of it. Subjects on the events make that story queryable by index:
//
//	model          NAME
//	model_version  NAME@VERSION
//	dataset        NAME, and each snapshot's digest "sha256:<hex>"
//	prompt         NAME;  prompt_version NAME@VERSION
//	eval_suite     NAME
//	change         chg_...
//	lineage_run    the OpenLineage run id
//	drift_alert    da_...
//	signing_key    the key hint (hex SHA-256 of its PEM)
//
// Decisions on changes (approvals, rejections, reviews) and provenance are
// in-toto statements in DSSE envelopes signed with the ledger's Ed25519
// checkpoint key, so anyone holding the ledger verifier key (GET
// /api/v1/ledger/key) can check them; see VerifyEnvelope.
package registry
