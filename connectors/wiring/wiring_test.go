package wiring

import (
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/connectors"
)

func parse(t *testing.T, yaml string) connectors.Config {
	t.Helper()
	cfg, err := connectors.ParseConfig([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestBuildIndexesConnectorsByProvider(t *testing.T) {
	t.Setenv("OKTA_TOKEN", "00secret-okta-token")
	set, err := Build(parse(t, `
connectors:
  - name: okta-prod
    type: okta
    base_url: https://example.okta.com
    token: {env: OKTA_TOKEN}
    timeout: 5s
    retry: {attempts: 2, min_wait: 100ms}
    rate_limit: 10
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if set.For("okta") == nil {
		t.Fatal("no connector for provider okta")
	}
}

func TestEmptyConfigBuildsAnEmptySet(t *testing.T) {
	set, err := Build(connectors.Config{}, nil)
	if err != nil || len(set) != 0 {
		t.Fatalf("got %v, %v", set, err)
	}
}

func TestBuildErrorsNameTheEntryAndField(t *testing.T) {
	t.Setenv("OKTA_TOKEN", "00secret-okta-token")
	entry := func(extra string) string {
		return "connectors:\n  - name: a\n    type: okta\n    token: {env: OKTA_TOKEN}\n" +
			"    base_url: https://x.okta.com\n  - name: b\n    type: okta\n" +
			"    provider: okta-b\n" + extra
	}
	cases := []struct {
		name, yaml, want string
	}{
		{"A relative base URL", entry("    token: {env: OKTA_TOKEN}\n    base_url: okta\n"),
			`connectors[1].base_url: not an absolute http(s) URL ("okta")`},
		{"An inline secret", entry("    base_url: https://x.okta.com\n    token: 00abc\n"),
			"connectors[1].token: not {env: NAME} or {file: PATH}"},
		{"An unset variable", entry("    base_url: https://x.okta.com\n    token: {env: NOPE_X}\n"),
			"connectors[1].token: environment variable NOPE_X is not set"},
		{"An unknown key", entry("    base_url: https://x.okta.com\n    token: {env: OKTA_TOKEN}\n    tokn: 1\n"),
			"connectors[1].tokn: unknown key"},
		{"A bad duration", entry("    base_url: https://x.okta.com\n" +
			"    token: {env: OKTA_TOKEN}\n    timeout: soon\n"),
			`connectors[1].timeout: not a non-negative duration ("soon")`},
		{"An unknown type", "connectors:\n  - name: a\n    type: onelogin\n",
			`connectors[0].type: unknown connector type "onelogin"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(parse(t, tc.yaml), nil)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant %s...", err, tc.want)
			}
			if strings.Contains(err.Error(), "00secret") || strings.Contains(err.Error(), "00abc") {
				t.Fatalf("secret in error: %v", err)
			}
		})
	}
}

func TestConfigRefusesDuplicateNamesAndProviders(t *testing.T) {
	for _, yaml := range []string{
		"connectors:\n  - {name: a, type: okta}\n  - {name: a, type: entra}\n",
		"connectors:\n  - {name: a, type: okta}\n  - {name: b, type: okta}\n",
	} {
		if _, err := connectors.ParseConfig([]byte(yaml)); err == nil ||
			!strings.HasPrefix(err.Error(), "connectors[1].") {
			t.Errorf("%q: got %v", yaml, err)
		}
	}
}
