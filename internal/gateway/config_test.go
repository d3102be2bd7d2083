package gateway_test

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/attest-ai/attest/internal/gateway"
)

func TestConfigYAML(t *testing.T) {
	src := `
providers:
  - name: openai
    kind: openai
    credential: {env: OPENAI_API_KEY}
  - name: az
    kind: azure
    base_url: https://x.openai.azure.com
    api_version: 2024-10-21
    region: westeurope
    max_class: restricted
    credential:
      vault: {address: https://vault:8200, mount: secret, path: attest/azure}
routes:
  - alias: fast
    chain: [{provider: openai, model: gpt-4o-mini}, {provider: az, model: mini-deployment}]
    timeout: 20s
    attempt_timeout: 5s
    fallback: {default: "busy, try later", rules: [{keywords: [refund], answer: "see the refund page"}]}
  - alias: support
    registry_model: support-bot
    registry_alias: staging
    chain: [{provider: az, model: support-deployment}]
credential_refresh: 1m
`
	var c gateway.Config
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Routes[0].AttemptTimeout.Seconds() != 5 || c.Providers[1].Credential.Vault.Path != "attest/azure" ||
		c.Providers[1].MaxClass != "restricted" || c.Routes[1].RegistryModel != "support-bot" || c.Routes[1].RegistryAlias != "staging" {
		t.Errorf("decoded %+v", c)
	}
	if err := gateway.DefaultConfig().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*gateway.Config)
		want string
	}{
		{"bad kind", func(c *gateway.Config) { c.Providers[0].Kind = "bedrock" }, "must be openai, azure"},
		{"duplicate provider", func(c *gateway.Config) { c.Providers = append(c.Providers, c.Providers[0]) }, "used twice"},
		{"key without credential", func(c *gateway.Config) {
			c.Providers = append(c.Providers, gateway.ProviderConfig{Name: "o", Kind: "openai"})
		}, "never written in the config"},
		{"two credential sources", func(c *gateway.Config) {
			c.Providers = append(c.Providers, gateway.ProviderConfig{Name: "o", Kind: "openai", Credential: gateway.CredentialConfig{Env: "A", File: "/b"}})
		}, "only one of env, file and vault"},
		{"unknown provider in chain", func(c *gateway.Config) { c.Routes[0].Chain[0].Provider = "ghost" }, "not a configured provider"},
		{"route without chain or fallback", func(c *gateway.Config) { c.Routes[0].Chain, c.Routes[0].Fallback = nil, nil }, "needs a chain"},
		{"bad alias", func(c *gateway.Config) { c.Routes[0].Alias = "has space" }, "alias must be"},
		{"bad max_class", func(c *gateway.Config) { c.Providers[0].MaxClass = "secret" }, "max_class \"secret\" must be public"},
		{"registry alias without model", func(c *gateway.Config) { c.Routes[0].RegistryAlias = "production" }, "registry_alias needs registry_model"},
		{"bad registry model", func(c *gateway.Config) { c.Routes[0].RegistryModel = "a b" }, "registry_model must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := gateway.DefaultConfig()
			tc.edit(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// A literal API key in the config is refused by strict decoding, because
// there is no field for it.
func TestConfigHasNoSecretField(t *testing.T) {
	dec := yaml.NewDecoder(strings.NewReader("providers: [{name: o, kind: openai, api_key: sk-123}]"))
	dec.KnownFields(true)
	var c gateway.Config
	if err := dec.Decode(&c); err == nil {
		t.Error("a literal api_key was accepted")
	}
}
