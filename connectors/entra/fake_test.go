package entra

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// fakeGraph reproduces the Microsoft Graph v1.0 calls the connector
// makes: paths under /v1.0, the error body
// {"error":{"code","message","innerError":{"request-id"}}}, 200 with
// {"value":true} from revokeSignInSessions, 204 from PATCH and
// removePassword, 400 for an unknown keyId (undocumented: a knob), and
// @odata.nextLink paging with $skiptoken.
type fakeGraph struct {
	mu       sync.Mutex
	token    string
	users    map[string]*fakeUser
	sps      map[string]*servicePrincipal
	owned    map[string][]string
	effects  int
	pageSize int
}

type fakeUser struct {
	user
}

func newFakeGraph(token string) *fakeGraph {
	return &fakeGraph{token: token, pageSize: 2,
		users: map[string]*fakeUser{
			"u1": {user{ID: "u1", UPN: "alice@contoso.com", UserType: "Member",
				AccountEnabled: true}},
			"g1": {user{ID: "g1", UPN: "bob_fabrikam.com#EXT#@contoso.onmicrosoft.com",
				UserType: "Guest", AccountEnabled: true}},
		},
		sps: map[string]*servicePrincipal{"sp1": {ID: "sp1", AppID: "app1",
			Passwords: []passwordCredential{{KeyID: "k1", Hint: "abc",
				Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
				End:   time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}}}},
		owned: map[string][]string{}}
}

func (f *fakeGraph) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1.0/users/{id}", f.getUser)
	mux.HandleFunc("PATCH /v1.0/users/{id}", f.patchUser)
	mux.HandleFunc("POST /v1.0/users/{id}/revokeSignInSessions", f.revoke)
	mux.HandleFunc("GET /v1.0/servicePrincipals/{id}", f.getSP)
	mux.HandleFunc("POST /v1.0/servicePrincipals/{id}/removePassword", f.removePassword)
	mux.HandleFunc("GET /v1.0/users/{id}/ownedObjects/microsoft.graph.servicePrincipal", f.owned_)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("request-id", "rid-1")
		if r.Header.Get("Authorization") != "Bearer "+f.token {
			graphError(w, 401, "InvalidAuthenticationToken", "Access token is empty.")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		mux.ServeHTTP(w, r)
	})
}

func graphError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": msg, "innerError": map[string]any{
			"date": "2026-01-01T00:00:00", "request-id": "rid-1",
			"client-request-id": "crid-1"}}})
}

func notFoundBody(w http.ResponseWriter, id string) {
	graphError(w, 404, "Request_ResourceNotFound",
		"Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
}

func (f *fakeGraph) find(key string) *fakeUser {
	for _, u := range f.users {
		if u.ID == key || u.UPN == key {
			return u
		}
	}
	return nil
}

func (f *fakeGraph) getUser(w http.ResponseWriter, r *http.Request) {
	u := f.find(r.PathValue("id"))
	if u == nil {
		notFoundBody(w, r.PathValue("id"))
		return
	}
	json.NewEncoder(w).Encode(u.user)
}

func (f *fakeGraph) patchUser(w http.ResponseWriter, r *http.Request) {
	u := f.find(r.PathValue("id"))
	var body struct {
		AccountEnabled *bool `json:"accountEnabled"`
	}
	json.NewDecoder(r.Body).Decode(&body)
	switch {
	case u == nil:
		notFoundBody(w, r.PathValue("id"))
		return
	case body.AccountEnabled != nil && *body.AccountEnabled != u.AccountEnabled:
		u.AccountEnabled = *body.AccountEnabled
		f.effects++
	}
	w.WriteHeader(204)
}

func (f *fakeGraph) revoke(w http.ResponseWriter, r *http.Request) {
	u := f.find(r.PathValue("id"))
	if u == nil {
		notFoundBody(w, r.PathValue("id"))
		return
	}
	u.SessionsValidFrom = time.Now().UTC().Truncate(time.Second)
	f.effects++
	w.Write([]byte(`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean","value":true}`))
}

func (f *fakeGraph) getSP(w http.ResponseWriter, r *http.Request) {
	sp := f.sps[r.PathValue("id")]
	if sp == nil {
		notFoundBody(w, r.PathValue("id"))
		return
	}
	json.NewEncoder(w).Encode(sp)
}

func (f *fakeGraph) removePassword(w http.ResponseWriter, r *http.Request) {
	sp := f.sps[r.PathValue("id")]
	var body struct {
		KeyID string `json:"keyId"`
	}
	json.NewDecoder(r.Body).Decode(&body)
	if sp == nil {
		notFoundBody(w, r.PathValue("id"))
		return
	}
	for i, p := range sp.Passwords {
		if p.KeyID == body.KeyID {
			sp.Passwords = append(sp.Passwords[:i], sp.Passwords[i+1:]...)
			f.effects++
			w.WriteHeader(204)
			return
		}
	}
	graphError(w, 400, "Request_BadRequest", "No password credential found with keyId.")
}

func (f *fakeGraph) owned_(w http.ResponseWriter, r *http.Request) {
	ids := f.owned[r.PathValue("id")]
	skip, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
	end := min(skip+f.pageSize, len(ids))
	page := map[string]any{"@odata.context": "x"}
	var value []*servicePrincipal
	for _, id := range ids[skip:end] {
		value = append(value, f.sps[id])
	}
	page["value"] = value
	if end < len(ids) {
		page["@odata.nextLink"] = fmt.Sprintf("http://%s%s?$select=id&$skiptoken=%d",
			r.Host, r.URL.Path, end)
	}
	json.NewEncoder(w).Encode(page)
}

func (f *fakeGraph) seedOwned(uid string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range n {
		id := fmt.Sprintf("osp%d", i)
		f.sps[id] = &servicePrincipal{ID: id, Passwords: []passwordCredential{
			{KeyID: "key-" + id, End: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}}}
		f.owned[uid] = append(f.owned[uid], id)
	}
}

func (f *fakeGraph) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.effects
}
