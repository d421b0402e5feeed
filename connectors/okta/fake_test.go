package okta

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// fakeOkta reproduces the Okta Management API calls the connector makes:
// paths, status codes, error bodies (errorCode E0000007 etc.), Link
// paging and the lifecycle rule that only an ACTIVE user can be
// suspended.
type fakeOkta struct {
	mu       sync.Mutex
	token    string
	users    map[string]*fakeUser // by id
	sessions map[string]string    // session id -> user id
	tokens   map[string][]refreshToken
	effects  int
	pageSize int
	queries  []string
}

type fakeUser struct {
	ID, Login, Status string
}

func newFakeOkta(token string) *fakeOkta {
	return &fakeOkta{token: token, pageSize: 2,
		users: map[string]*fakeUser{"00u1": {ID: "00u1",
			Login: "alice@example.com", Status: "ACTIVE"}},
		sessions: map[string]string{"102s1": "00u1", "102s2": "00u1"},
		tokens:   map[string][]refreshToken{}}
}

func (f *fakeOkta) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users/{id}", f.getUser)
	mux.HandleFunc("DELETE /api/v1/users/{id}/sessions", f.clearSessions)
	mux.HandleFunc("GET /api/v1/sessions/{sid}", f.getSession)
	mux.HandleFunc("DELETE /api/v1/sessions/{sid}", f.deleteSession)
	mux.HandleFunc("POST /api/v1/users/{id}/lifecycle/suspend", f.suspend)
	mux.HandleFunc("GET /api/v1/users/{id}/grants", f.listGrants)
	mux.HandleFunc("GET /api/v1/users/{id}/clients", f.listClients)
	mux.HandleFunc("GET /api/v1/users/{id}/clients/{cid}/tokens", f.listTokens)
	mux.HandleFunc("DELETE /api/v1/users/{id}/clients/{cid}/tokens/{tid}", f.deleteToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "SSWS "+f.token {
			oktaError(w, 401, "E0000011", "Invalid token provided")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.queries = append(f.queries, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		w.Header().Set("X-Okta-Request-Id", "req-"+strconv.Itoa(len(f.queries)))
		mux.ServeHTTP(w, r)
	})
}

func oktaError(w http.ResponseWriter, status int, code, summary string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errorCode": code,
		"errorSummary": summary, "errorLink": code, "errorId": "oae1",
		"errorCauses": []any{}})
}

func notFound(w http.ResponseWriter) {
	oktaError(w, 404, "E0000007", "Not found: Resource not found: x (User)")
}

func (f *fakeOkta) user(key string) *fakeUser {
	for _, u := range f.users {
		if u.ID == key || u.Login == key {
			return u
		}
	}
	return nil
}

func (f *fakeOkta) getUser(w http.ResponseWriter, r *http.Request) {
	u := f.user(r.PathValue("id"))
	if u == nil {
		notFound(w)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"id": u.ID, "status": u.Status,
		"created": "2024-01-02T03:04:05.000Z",
		"profile": map[string]any{"login": u.Login}})
}

func (f *fakeOkta) clearSessions(w http.ResponseWriter, r *http.Request) {
	u := f.users[r.PathValue("id")]
	if u == nil {
		notFound(w)
		return
	}
	changed := false
	for sid, uid := range f.sessions {
		if uid == u.ID {
			delete(f.sessions, sid)
			changed = true
		}
	}
	if r.URL.Query().Get("oauthTokens") == "true" && len(f.tokens[u.ID]) > 0 {
		delete(f.tokens, u.ID)
		changed = true
	}
	if changed {
		f.effects++
	}
	w.WriteHeader(204)
}

func (f *fakeOkta) getSession(w http.ResponseWriter, r *http.Request) {
	sid := r.PathValue("sid")
	uid, ok := f.sessions[sid]
	if !ok {
		notFound(w)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"id": sid, "userId": uid,
		"status": "ACTIVE"})
}

func (f *fakeOkta) deleteSession(w http.ResponseWriter, r *http.Request) {
	sid := r.PathValue("sid")
	if _, ok := f.sessions[sid]; !ok {
		notFound(w)
		return
	}
	delete(f.sessions, sid)
	f.effects++
	w.WriteHeader(204)
}

func (f *fakeOkta) suspend(w http.ResponseWriter, r *http.Request) {
	u := f.users[r.PathValue("id")]
	switch {
	case u == nil:
		notFound(w)
	case u.Status != "ACTIVE":
		oktaError(w, 400, "E0000001",
			"Api validation failed: Cannot suspend a user that is not active")
	default:
		u.Status = "SUSPENDED"
		f.effects++
		w.WriteHeader(200)
	}
}

func (f *fakeOkta) listGrants(w http.ResponseWriter, r *http.Request) {
	if f.users[r.PathValue("id")] == nil {
		notFound(w)
		return
	}
	w.Write([]byte("[]"))
}

func (f *fakeOkta) listClients(w http.ResponseWriter, r *http.Request) {
	out := []map[string]string{}
	if len(f.tokens[r.PathValue("id")]) > 0 {
		out = append(out, map[string]string{"client_id": "0oaApp",
			"client_name": "App"})
	}
	json.NewEncoder(w).Encode(out)
}

// listTokens pages with after (the index to start at) and limit, capped
// at pageSize, with a Link rel="next" while more remain.
func (f *fakeOkta) listTokens(w http.ResponseWriter, r *http.Request) {
	all := f.tokens[r.PathValue("id")]
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	n := min(max(limit, 1), f.pageSize)
	end := min(after+n, len(all))
	if end < len(all) {
		next := fmt.Sprintf("http://%s%s?after=%d&limit=%d", r.Host,
			r.URL.Path, end, limit)
		w.Header().Add("Link", "<http://"+r.Host+r.URL.Path+`>; rel="self"`)
		w.Header().Add("Link", "<"+next+`>; rel="next"`)
	}
	json.NewEncoder(w).Encode(all[after:end])
}

func (f *fakeOkta) deleteToken(w http.ResponseWriter, r *http.Request) {
	uid, tid := r.PathValue("id"), r.PathValue("tid")
	for i, t := range f.tokens[uid] {
		if t.ID == tid {
			f.tokens[uid] = append(f.tokens[uid][:i], f.tokens[uid][i+1:]...)
			f.effects++
			w.WriteHeader(204)
			return
		}
	}
	notFound(w)
}

func (f *fakeOkta) seedTokens(uid string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range n {
		f.tokens[uid] = append(f.tokens[uid], refreshToken{
			ID: fmt.Sprintf("oar%d", i), Status: "ACTIVE", ClientID: "0oaApp",
			Created:   time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
			ExpiresAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
}

func (f *fakeOkta) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.effects
}
