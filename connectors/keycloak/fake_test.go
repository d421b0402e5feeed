package keycloak

import (
	"encoding/json"
	"net/http"
	"sync"
)

// fakeKeycloak reproduces the Keycloak 26 Admin REST calls the connector
// makes, under /admin/realms/r1: error bodies {"error":"..."} with
// Keycloak's own spellings ("Sesssion not found"), 204 on deletes,
// logout that leaves offline sessions alive, consents with
// additionalGrants [{"client","key":"Offline Token"}].
type fakeKeycloak struct {
	mu       sync.Mutex
	token    string
	users    map[string]*user
	online   map[string]string // session id -> user id
	offline  map[string]string // session id -> user id
	consents map[string][]consent
	effects  int
}

func newFakeKeycloak(token string) *fakeKeycloak {
	f := &fakeKeycloak{token: token,
		users: map[string]*user{
			"u1": {ID: "u1", Username: "alice", Enabled: true},
			"sa": {ID: "sa", Username: "service-account-ci", Enabled: true}},
		online:   map[string]string{"s1": "u1", "s2": "u1"},
		offline:  map[string]string{"s1": "u1"},
		consents: map[string][]consent{}}
	c := consent{ClientID: "mobile", CreatedDate: 1735689600000}
	c.AdditionalGrants = append(c.AdditionalGrants, struct {
		Key string `json:"key"`
	}{"Offline Token"})
	f.consents["u1"] = []consent{c}
	return f
}

func (f *fakeKeycloak) handler() http.Handler {
	mux := http.NewServeMux()
	p := "/admin/realms/r1"
	mux.HandleFunc("GET "+p+"/users", f.search)
	mux.HandleFunc("GET "+p+"/users/{id}", f.getUser)
	mux.HandleFunc("PUT "+p+"/users/{id}", f.putUser)
	mux.HandleFunc("POST "+p+"/users/{id}/logout", f.logout)
	mux.HandleFunc("GET "+p+"/users/{id}/sessions", f.listSessions)
	mux.HandleFunc("GET "+p+"/users/{id}/consents", f.listConsents)
	mux.HandleFunc("DELETE "+p+"/users/{id}/consents/{client}", f.deleteConsent)
	mux.HandleFunc("DELETE "+p+"/sessions/{sid}", f.deleteSession)
	mux.HandleFunc("GET "+p+"/clients", f.clients)
	mux.HandleFunc("GET "+p+"/clients/{uuid}/service-account-user", f.serviceAccount)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+f.token {
			w.Header().Set("WWW-Authenticate", `Bearer realm="r1"`)
			kcError(w, 401, "HTTP 401 Unauthorized")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		mux.ServeHTTP(w, r)
	})
}

func kcError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (f *fakeKeycloak) search(w http.ResponseWriter, r *http.Request) {
	out := []*user{}
	for _, u := range f.users {
		if u.Username == r.URL.Query().Get("username") {
			out = append(out, u)
		}
	}
	json.NewEncoder(w).Encode(out)
}

func (f *fakeKeycloak) getUser(w http.ResponseWriter, r *http.Request) {
	u := f.users[r.PathValue("id")]
	if u == nil {
		kcError(w, 404, "User not found")
		return
	}
	json.NewEncoder(w).Encode(u)
}

func (f *fakeKeycloak) putUser(w http.ResponseWriter, r *http.Request) {
	u := f.users[r.PathValue("id")]
	var body struct {
		Enabled *bool `json:"enabled"`
	}
	json.NewDecoder(r.Body).Decode(&body)
	if u == nil {
		kcError(w, 404, "User not found")
		return
	}
	if body.Enabled != nil && *body.Enabled != u.Enabled {
		u.Enabled = *body.Enabled
		f.effects++
	}
	w.WriteHeader(204)
}

// logout removes online sessions only, as UserResource.logout does.
func (f *fakeKeycloak) logout(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if f.users[id] == nil {
		kcError(w, 404, "User not found")
		return
	}
	for sid, uid := range f.online {
		if uid == id {
			delete(f.online, sid)
			f.effects++
		}
	}
	w.WriteHeader(204)
}

func (f *fakeKeycloak) listSessions(w http.ResponseWriter, r *http.Request) {
	out := []userSession{}
	for sid, uid := range f.online {
		if uid == r.PathValue("id") {
			out = append(out, userSession{ID: sid, IPAddress: "192.0.2.1",
				Start: 1735689600000, LastAccess: 1735693200000,
				Clients: map[string]string{"c-uuid": "web"}})
		}
	}
	json.NewEncoder(w).Encode(out)
}

func (f *fakeKeycloak) listConsents(w http.ResponseWriter, r *http.Request) {
	out := f.consents[r.PathValue("id")]
	if out == nil {
		out = []consent{}
	}
	json.NewEncoder(w).Encode(out)
}

func (f *fakeKeycloak) deleteConsent(w http.ResponseWriter, r *http.Request) {
	id, client := r.PathValue("id"), r.PathValue("client")
	for i, c := range f.consents[id] {
		if c.ClientID == client {
			f.consents[id] = append(f.consents[id][:i], f.consents[id][i+1:]...)
			for sid, uid := range f.offline {
				if uid == id {
					delete(f.offline, sid)
				}
			}
			f.effects++
			w.WriteHeader(204)
			return
		}
	}
	kcError(w, 404, "Consent nor offline token not found")
}

func (f *fakeKeycloak) deleteSession(w http.ResponseWriter, r *http.Request) {
	space := f.online
	if r.URL.Query().Get("isOffline") == "true" {
		space = f.offline
	}
	sid := r.PathValue("sid")
	if _, ok := space[sid]; !ok {
		kcError(w, 404, "Sesssion not found")
		return
	}
	delete(space, sid)
	f.effects++
	w.WriteHeader(204)
}

func (f *fakeKeycloak) clients(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("clientId") != "ci" {
		w.Write([]byte("[]"))
		return
	}
	w.Write([]byte(`[{"id":"c-uuid-ci","clientId":"ci","serviceAccountsEnabled":true}]`))
}

func (f *fakeKeycloak) serviceAccount(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("uuid") != "c-uuid-ci" {
		kcError(w, 404, "Could not find client")
		return
	}
	json.NewEncoder(w).Encode(f.users["sa"])
}

func (f *fakeKeycloak) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.effects
}
