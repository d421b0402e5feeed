package peertest

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// KratosVersion is the Ory Kratos release scripts/build-peers builds.
const KratosVersion = "v1.3.1"

// Kratos is a running Ory Kratos.
type Kratos struct {
	// PublicURL serves the self-service flows; AdminURL the admin API.
	PublicURL string
	AdminURL  string
}

// identitySchema has one trait, an email that is the password login's
// identifier.
const identitySchema = `{
  "$id": "https://killswitch.invalid/person.schema.json",
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Person",
  "type": "object",
  "properties": {
    "traits": {
      "type": "object",
      "properties": {
        "email": {
          "type": "string",
          "format": "email",
          "ory.sh/kratos": {
            "credentials": {"password": {"identifier": true}}
          }
        }
      },
      "required": ["email"],
      "additionalProperties": false
    }
  }
}`

// kratosConfig is the configuration: in-memory SQLite, password login
// with the breached-password check off (there is no internet here).
const kratosConfig = `version: v1.3.1
dsn: memory
log:
  level: warning
serve:
  public: {host: 127.0.0.1, port: %[1]d, base_url: "%[3]s/"}
  admin: {host: 127.0.0.1, port: %[2]d, base_url: "%[4]s/"}
identity:
  default_schema_id: person
  schemas:
    - id: person
      url: file://%[5]s
selfservice:
  default_browser_return_url: "%[3]s/"
  methods:
    password:
      enabled: true
      config:
        haveibeenpwned_enabled: false
        identifier_similarity_check_enabled: false
  flows:
    login: {ui_url: "%[3]s/ui/login"}
    error: {ui_url: "%[3]s/ui/error"}
secrets:
  cookie: [killswitch-test-cookie-secret-0123456789]
  cipher: [killswitch-test-cipher-secret-32]
courier:
  smtp:
    connection_uri: smtp://127.0.0.1:1/?disable_starttls=true
`

// StartKratos runs Kratos for the test and waits until it is ready.
func StartKratos(t testing.TB) *Kratos {
	t.Helper()
	bin := Binary(t, "kratos", KratosVersion)
	dir := t.TempDir()
	pub, adm := FreePort(t), FreePort(t)
	k := &Kratos{PublicURL: baseURL(pub), AdminURL: baseURL(adm)}
	schema := filepath.Join(dir, "person.schema.json")
	cfg := fmt.Sprintf(kratosConfig, pub, adm, k.PublicURL, k.AdminURL,
		schema)
	writeFile(t, schema, identitySchema)
	writeFile(t, filepath.Join(dir, "kratos.yaml"), cfg)
	p := start(t, "kratos", bin, dir, "serve", "--config", "kratos.yaml")
	p.waitReady(t, k.AdminURL+"/health/ready")
	return k
}

// CreateIdentity creates an identity with that email and password and
// returns its id.
func (k *Kratos) CreateIdentity(t testing.TB, email, password string) string {
	t.Helper()
	body := map[string]any{"schema_id": "person",
		"traits": map[string]any{"email": email},
		"credentials": map[string]any{"password": map[string]any{
			"config": map[string]any{"password": password}}}}
	var out struct {
		ID string `json:"id"`
	}
	call(t, http.MethodPost, k.AdminURL+"/admin/identities", nil, body,
		http.StatusCreated, &out)
	return out.ID
}

// Session is a Kratos session created through the native login flow.
type Session struct {
	ID    string
	Token string
}

// Login creates a session the way a native app does: a login flow of
// the API kind, then the password method. Kratos has no admin call that
// creates a session.
func (k *Kratos) Login(t testing.TB, email, password string) Session {
	t.Helper()
	var flow struct {
		ID string `json:"id"`
	}
	call(t, http.MethodGet, k.PublicURL+"/self-service/login/api", nil,
		nil, http.StatusOK, &flow)
	var out struct {
		Token   string `json:"session_token"`
		Session struct {
			ID string `json:"id"`
		} `json:"session"`
	}
	call(t, http.MethodPost, k.PublicURL+"/self-service/login?flow="+flow.ID,
		nil, map[string]any{"method": "password", "identifier": email,
			"password": password}, http.StatusOK, &out)
	return Session{ID: out.Session.ID, Token: out.Token}
}

// Whoami returns the status Kratos answers for a session token: 200
// while the session is active, 401 once it is not.
func (k *Kratos) Whoami(t testing.TB, token string) int {
	t.Helper()
	h := http.Header{"X-Session-Token": {token}}
	return call(t, http.MethodGet, k.PublicURL+"/sessions/whoami", h, nil,
		0, nil)
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
