package console

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const goodOIDC = `
console:
  oidc:
    issuer: https://id.example.com/
    client_id: killswitch-console
    client_secret_env: KS_TEST_OIDC_SECRET
    redirect_url: https://ks.example.com/oidc/callback
    grants:
      - {value: ks-admins, role: admin}
`

func getenv(name string) string {
	if name == "KS_TEST_OIDC_SECRET" {
		return "s3cret-from-env"
	}
	return ""
}

func TestTheOIDCSectionIsReadWithItsSecret(t *testing.T) {
	cfg, err := ParseOIDCConfig([]byte(goodOIDC), getenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClientSecret.Reveal() != "s3cret-from-env" {
		t.Fatalf("client secret %q, want the variable's", cfg.ClientSecret.Reveal())
	}
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(goodOIDC, "client_secret_env: KS_TEST_OIDC_SECRET",
		"client_secret_file: "+file, 1)
	if cfg, err = ParseOIDCConfig([]byte(doc), getenv); err != nil {
		t.Fatal(err)
	}
	if cfg.ClientSecret.Reveal() != "s3cret-from-file" {
		t.Fatalf("client secret %q, want the file's less its newline",
			cfg.ClientSecret.Reveal())
	}
	if cfg, err = ParseOIDCConfig([]byte("sweeps: {}\n"), getenv); err != nil || cfg != nil {
		t.Fatalf("a file without the section: %v, %v; want nothing", cfg, err)
	}
}

func TestABadOIDCSectionIsRefusedNamingTheKey(t *testing.T) {
	for _, tc := range []struct{ name, from, to, want string }{
		{"no client id", "client_id: killswitch-console", "",
			"console.oidc.client_id: required"},
		{"an issuer that is no URL", "https://id.example.com/", "id.example.com",
			`console.oidc.issuer: "id.example.com" is not an http(s) URL`},
		{"no issuer", "issuer: https://id.example.com/", "",
			"console.oidc.issuer: required"},
		{"a role that is none", "role: admin", "role: root",
			`console.oidc.grants[0].role: "root" is not a role`},
		{"a principal kind that is none", "role: admin}",
			"role: admin, principal_kinds: [robot]}",
			`console.oidc.grants[0].principal_kinds: "robot"`},
		{"a redirect elsewhere than the callback", "ks.example.com/oidc/callback",
			"ks.example.com/callback", "console.oidc.redirect_url: " +
				`"https://ks.example.com/callback": the path must be /oidc/callback`},
		{"no grants", "    grants:\n      - {value: ks-admins, role: admin}\n", "",
			"console.oidc.grants: at least one is required"},
		{"a misspelt key", "client_id:", "clientid:", `unknown field "clientid"`},
		{"grants given twice, the second replacing the first",
			"    grants:\n", "    grants:\n      - {value: ks-viewers, " +
				"role: viewer}\n    grants:\n",
			`line 11: key "grants" already set in map`},
		{"an unset secret variable", "KS_TEST_OIDC_SECRET", "KS_UNSET",
			"console.oidc.client_secret_env: $KS_UNSET is not set or empty"},
		{"a secret file that is not there", "client_secret_env: KS_TEST_OIDC_SECRET",
			"client_secret_file: /nonexistent/secret",
			"console.oidc.client_secret_file: open /nonexistent/secret"},
	} {
		doc := strings.Replace(goodOIDC, tc.from, tc.to, 1)
		_, err := ParseOIDCConfig([]byte(doc), getenv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one holding %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: the error shows the secret: %v", tc.name, err)
		}
	}
}

// A console given a bad OIDC configuration does not start.
func TestNewRefusesABadOIDCConfig(t *testing.T) {
	cfg := newFixture(t, nil).con.cfg
	cfg.OIDC = &OIDCConfig{Issuer: "https://id.example.com/"}
	_, err := New(cfg)
	if err == nil || err.Error() != "console.oidc.client_id: required" {
		t.Fatalf("error %v, want the client id required", err)
	}
}

// The README's console.oidc example is a section run accepts.
func TestTheREADMEsOIDCExampleIsValid(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(b), "```yaml\nconsole:\n  oidc:")
	if start < 0 {
		t.Fatal("the README has no console.oidc example")
	}
	doc := string(b[start+len("```yaml\n"):])
	doc = doc[:strings.Index(doc, "```")]
	cfg, err := ParseOIDCConfig([]byte(doc), func(string) string { return "x" })
	if err != nil || cfg == nil || len(cfg.Grants) != 4 {
		t.Fatalf("the README's example: %+v, %v", cfg, err)
	}
}

// An address that starts sign-ins and never finishes them forgets its
// own oldest, never another address's.
func TestSignInsInProgressAreBoundedPerAddress(t *testing.T) {
	o := newOIDCLogin(OIDCConfig{}, time.Now, slog.New(slog.DiscardHandler))
	other, _ := o.start("192.0.2.2", "/")
	var states []string
	for range flowsPerAddress + 5 {
		s, _ := o.start("192.0.2.1", "/")
		states = append(states, s)
	}
	for i, s := range states {
		if _, ok := o.finish(s); ok != (i >= 5) {
			t.Errorf("sign-in %d of the address: kept %v", i, ok)
		}
	}
	if _, ok := o.finish(other); !ok {
		t.Error("another address's sign-in was forgotten")
	}
}

// A discovery cut short by its caller (a browser that left, run
// stopping) is not warned of: the provider may be fine.
func TestACancelledDiscoveryIsNotWarnedOf(t *testing.T) {
	var logs strings.Builder
	o := newOIDCLogin(OIDCConfig{Issuer: "http://192.0.2.1/"}, time.Now,
		slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := o.discover(ctx); err == nil {
		t.Fatal("a cancelled discovery: no error")
	}
	if strings.Contains(logs.String(), "WARN") {
		t.Fatalf("a cancelled discovery was warned of:\n%s", logs.String())
	}
}

// Sign-ins begun together while the provider does not answer wait for
// one fetch of its discovery document, not one each in turn: the last
// of n waited n times as long, each attempt up to ten seconds.
func TestSignInsBegunTogetherShareOneDiscovery(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	conns := make(chan net.Conn, 16)
	defer func() {
		l.Close()
		for len(conns) > 0 {
			(<-conns).Close()
		}
	}()
	go func() { // a provider that takes connections and never answers
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conns <- conn
		}
	}()
	o := newOIDCLogin(OIDCConfig{Issuer: "http://" + l.Addr().String(),
		HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}},
		time.Now, slog.New(slog.DiscardHandler))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := o.discover(t.Context()); err == nil {
				t.Error("discovery of a provider that does not answer: " +
					"no error")
			}
		})
	}
	wg.Wait()
	if n := accepted.Load(); n != 1 {
		t.Errorf("4 sign-ins begun together fetched the discovery "+
			"document %d times, want once", n)
	}
}
