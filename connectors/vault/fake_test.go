package vault

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// fakeVault reproduces the token and lease paths of Vault's HTTP API as
// documented: POST and PUT alike, {"errors": [...]} bodies, 400 for an
// unknown accessor or lease, 403 for an unknown token, 204 for revoking
// an unknown lease, and revoking a token revokes its children.
type fakeVault struct {
	token string
	mu    sync.Mutex
	// tokens by accessor; values are the token itself, for lookups.
	tokens  map[string]fakeToken
	leases  map[string]bool
	revoked int
}

type fakeToken struct {
	value, parent, typ string
	created            time.Time
	ttl                time.Duration
}

func newFakeVault(token string) *fakeVault {
	return &fakeVault{token: token, tokens: map[string]fakeToken{},
		leases: map[string]bool{}}
}

func (f *fakeVault) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		vaultError(w, http.StatusMethodNotAllowed, "unsupported operation")
		return
	}
	if r.Header.Get("X-Vault-Token") != f.token {
		vaultError(w, http.StatusForbidden, "permission denied")
		return
	}
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	s := func(k string) string { v, _ := body[k].(string); return v }
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/v1/")
	switch {
	case path == "auth/token/lookup-accessor":
		f.lookupAccessor(w, s("accessor"))
	case path == "auth/token/lookup":
		f.lookupToken(w, s("token"))
	case path == "auth/token/revoke-accessor":
		f.revokeAccessor(w, s("accessor"))
	case path == "sys/leases/lookup":
		f.lookupLease(w, s("lease_id"))
	case path == "sys/leases/revoke":
		delete(f.leases, s("lease_id"))
		w.WriteHeader(http.StatusNoContent)
	case strings.HasPrefix(path, "sys/leases/revoke-prefix/"):
		f.revokePrefix(w, strings.TrimPrefix(path, "sys/leases/revoke-prefix/"))
	default:
		vaultError(w, http.StatusNotFound)
	}
}

func (f *fakeVault) lookupAccessor(w http.ResponseWriter, accessor string) {
	t, ok := f.tokens[accessor]
	if !ok {
		vaultError(w, http.StatusBadRequest, "invalid accessor")
		return
	}
	f.writeToken(w, accessor, t, "")
}

func (f *fakeVault) lookupToken(w http.ResponseWriter, value string) {
	for acc, t := range f.tokens {
		if t.value == value {
			f.writeToken(w, acc, t, value)
			return
		}
	}
	vaultError(w, http.StatusForbidden, "bad token")
}

// writeToken answers a lookup; id is empty for a lookup by accessor.
func (f *fakeVault) writeToken(w http.ResponseWriter, acc string, t fakeToken, id string) {
	exp := t.created.Add(t.ttl).UTC().Format(time.RFC3339Nano)
	data := map[string]any{"accessor": acc, "id": id,
		"creation_time": t.created.Unix(), "creation_ttl": int(t.ttl.Seconds()),
		"display_name": "ldap-alice", "entity_id": "ent-" + acc,
		"expire_time": exp, "orphan": t.parent == "", "path": "auth/ldap/login/alice",
		"policies": []string{"default"}, "ttl": int(time.Until(t.created.Add(t.ttl)).Seconds()),
		"type": t.typ}
	writeJSON(w, map[string]any{"request_id": "req-1", "data": data})
}

func (f *fakeVault) revokeAccessor(w http.ResponseWriter, accessor string) {
	t, ok := f.tokens[accessor]
	switch {
	case !ok:
		vaultError(w, http.StatusBadRequest, "invalid accessor")
		return
	case t.typ == "batch":
		vaultError(w, http.StatusBadRequest, "batch tokens cannot be revoked")
		return
	}
	f.revokeTree(accessor)
	w.WriteHeader(http.StatusNoContent)
}

// revokeTree revokes a token and, as Vault does, every token it created.
func (f *fakeVault) revokeTree(accessor string) {
	delete(f.tokens, accessor)
	f.revoked++
	for acc, t := range f.tokens {
		if t.parent == accessor {
			f.revokeTree(acc)
		}
	}
}

func (f *fakeVault) lookupLease(w http.ResponseWriter, id string) {
	if !f.leases[id] {
		vaultError(w, http.StatusBadRequest, "invalid lease")
		return
	}
	writeJSON(w, map[string]any{"data": map[string]any{"id": id, "ttl": 600}})
}

func (f *fakeVault) revokePrefix(w http.ResponseWriter, prefix string) {
	for id := range f.leases {
		if strings.HasPrefix(id, prefix) {
			delete(f.leases, id)
			f.revoked++
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeVault) addToken(accessor, value, parent, typ string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens[accessor] = fakeToken{value: value, parent: parent, typ: typ,
		created: time.Now().Add(-time.Hour).Truncate(time.Second),
		ttl:     24 * time.Hour}
}

func (f *fakeVault) has(accessor string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.tokens[accessor]
	return ok
}

func (f *fakeVault) effects() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.revoked
}

func vaultError(w http.ResponseWriter, status int, msgs ...string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if msgs == nil {
		msgs = []string{}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": msgs})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
