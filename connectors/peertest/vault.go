package peertest

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// VaultVersion is the HashiCorp Vault release the opt-in tests run.
const VaultVersion = "v1.21.4"

// Vault is a running Vault dev server: in memory, unsealed, with a known
// root token.
type Vault struct {
	URL       string
	RootToken string
}

// StartVault runs a Vault dev server for the test. Vault is opt-in: it
// builds only with source fixes, in 15-25 minutes, into 500 MB, so
// scripts/build-peers does not build it. The test skips, under CI=true
// too, unless a binary is at $KILLSWITCH_PEERS_DIR/vault-v1.21.4/vault.
func StartVault(t testing.TB) *Vault {
	t.Helper()
	bin := filepath.Join(PeersDir(), "vault-"+VaultVersion, "vault")
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("vault %s is not at %s (opt-in; the fake covers the "+
			"connector)", VaultVersion, bin)
	}
	port := FreePort(t)
	v := &Vault{URL: baseURL(port), RootToken: "killswitch-test-root-token"}
	p := start(t, "vault", bin, t.TempDir(), "server", "-dev",
		"-dev-root-token-id="+v.RootToken,
		"-dev-listen-address=127.0.0.1:"+strconv.Itoa(port))
	p.waitReady(t, v.URL+"/v1/sys/health")
	return v
}

// CreateToken creates a service token with the creator's token, a child
// of it unless the creator is root, and returns it with its accessor.
func (v *Vault) CreateToken(t testing.TB, creator string) (token, accessor string) {
	t.Helper()
	var out struct {
		Auth struct {
			Token    string `json:"client_token"`
			Accessor string `json:"accessor"`
		} `json:"auth"`
	}
	call(t, http.MethodPost, v.URL+"/v1/auth/token/create",
		http.Header{"X-Vault-Token": {creator}},
		map[string]any{"policies": []string{"default"}, "ttl": "1h"},
		http.StatusOK, &out)
	return out.Auth.Token, out.Auth.Accessor
}
