package web

import "strings"

// attestNamespaces are the event type namespaces that attest's own
// services write, each through an API that checks what the event claims:
// that a signature verified, a change was approved by another person, a
// control was evaluated, a request passed the gateway. The controls read
// these events as evidence, so the generic append endpoint refuses them;
// anything written there goes in a namespace of its own, such as
// acme.backup_restored.
var attestNamespaces = []string{
	"access_review", "audit", "change", "classification", "consent", "console",
	"control", "dataset", "deploy", "drift", "dsr", "eval", "gateway", "guard",
	"inference", "key", "ledger", "legal_hold", "lineage", "model", "prompt",
	"retention", "sample", "signing_key", "subject", "tenant", "vendor",
}

// reservedNamespace returns the attest namespace that event type typ is
// in, or "".
func reservedNamespace(typ string) string {
	ns, _, ok := strings.Cut(typ, ".")
	if !ok {
		return ""
	}
	for _, r := range attestNamespaces {
		if ns == r {
			return ns
		}
	}
	return ""
}
