package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// oidcSection is a console.oidc section for an issuer, with the client
// secret in $KS_TEST_OIDC_SECRET.
func oidcSection(issuer, redirect string) string {
	return fmt.Sprintf(`console:
  oidc:
    name: Test IdP
    issuer: %s
    client_id: killswitch-console
    client_secret_env: KS_TEST_OIDC_SECRET
    redirect_url: %s
    grants:
      - {value: ks-responders, role: responder}
`, issuer, redirect)
}

const testOIDCSecret = "run-oidc-client-secret-9b1e"

func TestRunRefusesABadConsoleOIDCSection(t *testing.T) {
	db := importedStore(t)
	good := oidcSection("https://id.example.com/",
		"https://ks.example.com/oidc/callback")
	t.Setenv("KS_TEST_OIDC_SECRET", testOIDCSecret)
	for _, c := range []struct{ name, from, to, want string }{
		{"No client id", "client_id: killswitch-console", "",
			"console.oidc.client_id: required"},
		{"An issuer that is no URL", "issuer: https://id.example.com/",
			"issuer: id.example.com", "console.oidc.issuer"},
		{"A role that is none", "role: responder", "role: root",
			`console.oidc.grants[0].role: "root" is not a role`},
		{"An unset secret variable", "KS_TEST_OIDC_SECRET", "KS_TEST_UNSET",
			"console.oidc.client_secret_env: $KS_TEST_UNSET is not set"},
	} {
		t.Run(c.name, func(t *testing.T) {
			config := writeConfig(t, strings.Replace(good, c.from, c.to, 1))
			runCLICases(t, db, []cliCase{{c.name, []string{"--store", "DB",
				"run", "--config", config}, 2,
				[]string{"config " + config + ": " + c.want}}})
		})
	}
}

// An issuer that does not answer when run starts is warned of; the
// console serves, offering both ways to sign in, and never logs the
// client secret.
func TestRunServesTheConsoleWhileTheOIDCIssuerIsDown(t *testing.T) {
	issuer := fmt.Sprintf("http://127.0.0.1:%d/", freeTestPort(t))
	port := freeTestPort(t)
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	r := startConsoleRunWith(t, listen, oidcSection(issuer,
		"http://"+listen+"/oidc/callback"),
		[]string{"KS_TEST_OIDC_SECRET=" + testOIDCSecret})
	r.waitFor("run warns of the issuer", func() bool {
		return strings.Contains(r.logs.String(),
			`level=WARN msg="OIDC discovery failed`)
	})
	res, err := http.Get(r.url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK ||
		!strings.Contains(string(body), "Sign in with Test IdP") ||
		!strings.Contains(string(body), `name="token"`) {
		t.Fatalf("GET /login: %d, want both ways to sign in:\n%s",
			res.StatusCode, body)
	}
	if strings.Contains(r.logs.String(), testOIDCSecret) {
		t.Fatalf("run logged the client secret:\n%s", r.logs.String())
	}
}
