package registry_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/registry"
)

func FuzzReadValidationSet(f *testing.F) {
	f.Add(validation)
	f.Add([]byte(`{"id":"1","input":"a","expected":"b"}` + "\n\n" + `{"id":"2","input":"","expected":""}`))
	f.Add([]byte(`{"id":"","input":"a","expected":"b"}`))
	f.Add([]byte("{\"id\":\"1\"\n"))
	f.Add([]byte(strings.Repeat("x", 100)))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := registry.ReadValidationSet(bytes.NewReader(data))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, e := range set.Examples {
			if e.ID == "" || seen[e.ID] {
				t.Fatalf("accepted an empty or repeated id %q", e.ID)
			}
			seen[e.ID] = true
		}
		if !strings.HasPrefix(set.Digest, "sha256:") || len(set.Digest) != 71 {
			t.Fatalf("digest %q", set.Digest)
		}
	})
}

func FuzzTemplateVariables(f *testing.F) {
	for _, s := range []string{"Hello {{name}}", "{{ a }}{{b}}", "{{", "}}", "{{{{x}}}}", "{{a}} }} {{", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vars, err := registry.TemplateVariables(s)
		if err != nil {
			return
		}
		if !slices.IsSorted(vars) || len(slices.Compact(slices.Clone(vars))) != len(vars) {
			t.Fatalf("variables not sorted and unique: %v", vars)
		}
		for _, v := range vars {
			if !strings.Contains(s, v) {
				t.Fatalf("variable %q is not in the template", v)
			}
		}
	})
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"support@1", "a@b@c", "@1", "x@", "name with space@1", "ü@1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, version, err := registry.ParseRef(s)
		if err != nil {
			return
		}
		if name+"@"+version != s || strings.Contains(version, "@") {
			t.Fatalf("%q parsed as %q @ %q", s, name, version)
		}
	})
}

func FuzzVerifyDecision(f *testing.F) {
	fx := newFixture(f, registry.Policy{})
	fx.signedVersion("support", "1")
	c := requestIn(f, fx)
	c, err := fx.svc.Approve(fx.ctx, tenant, bob, c.ID, "")
	fx.must(err)
	good, err := jsonOf(c.Approvals[0].Envelope)
	fx.must(err)
	f.Add(good)
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"x","sig":"AAAA"}]}`))
	f.Add([]byte(`{"signatures":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := registry.ParseEnvelope(data)
		if err != nil {
			return
		}
		st, err := registry.VerifyDecision(env, fx.vkey)
		if err == nil && !bytes.Equal(data, good) && st.ChangeID != c.ID {
			t.Fatalf("a forged envelope verified: %s", data)
		}
	})
}
