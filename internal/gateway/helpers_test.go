package gateway_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/gateway/gatewaytest"
	"github.com/attest-ai/attest/internal/ledger"
)

type gatewaytestFault = gatewaytest.Fault

func gatewayCaller(key, tenant string, models ...string) gateway.Caller {
	return gateway.Caller{KeyID: key, Tenant: tenant, Role: gateway.RoleConsumer, AllowedModels: models}
}

type (
	gatewayConfig = gateway.Config
	gatewayDeps   = gateway.Deps
)

// jsonField reads a dotted path (numbers index arrays) from a JSON body.
func jsonField(t *testing.T, b []byte, path string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("body is not JSON: %s", b)
	}
	return walk(v, path)
}

func jsonFieldOr(b []byte, path string) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return ""
	}
	return walk(v, path)
}

func walk(v any, path string) string {
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(x) {
				return ""
			}
			v = x[i]
		default:
			return ""
		}
	}
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

var gatewaytestActor = ledger.Actor{Kind: ledger.ActorHuman, ID: "admin@example.com"}

func minimalDeps() gateway.Deps {
	return gateway.Deps{Auth: gatewaytest.NewAuth(), Policies: gateway.StaticPolicy{}, Ledger: &gatewaytest.Ledger{},
		Pseudonymize: gatewaytest.Pseudonym, HashKey: []byte("0123456789abcdef")}
}
