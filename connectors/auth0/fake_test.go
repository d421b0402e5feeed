package auth0

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// fakeAuth0 reproduces the Management API v2 calls the connector makes:
// 202 on session and refresh-token deletions, 200 with the user on PATCH,
// the error body {"statusCode","error","message","errorCode"}, and the
// checkpoint paging {"sessions":[...],"next":"..."} with from and take.
type fakeAuth0 struct {
	mu       sync.Mutex
	token    string
	users    map[string]*user
	sessions map[string][]session
	tokens   map[string][]refreshToken
	effects  int
	pageSize int
}

func newFakeAuth0(token string) *fakeAuth0 {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return &fakeAuth0{token: token, pageSize: 2,
		users:    map[string]*user{"auth0|1": {ID: "auth0|1"}},
		sessions: map[string][]session{"auth0|1": {{ID: "sid1", CreatedAt: t0}, {ID: "sid2", CreatedAt: t0}}},
		tokens:   map[string][]refreshToken{"auth0|1": {{ID: "rt1", CreatedAt: t0}}}}
}

func (f *fakeAuth0) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/users/{id}", f.getUser)
	mux.HandleFunc("PATCH /api/v2/users/{id}", f.patchUser)
	mux.HandleFunc("GET /api/v2/users/{id}/sessions", f.listSessions)
	mux.HandleFunc("DELETE /api/v2/users/{id}/sessions", f.deleteUserSessions)
	mux.HandleFunc("DELETE /api/v2/users/{id}/refresh-tokens", f.deleteUserTokens)
	mux.HandleFunc("GET /api/v2/users/{id}/refresh-tokens", f.listTokens)
	mux.HandleFunc("DELETE /api/v2/sessions/{sid}", f.deleteSession)
	mux.HandleFunc("POST /api/v2/sessions/{sid}/revoke", f.deleteSession)
	mux.HandleFunc("GET /api/v2/sessions/{sid}", f.getSession)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+f.token {
			auth0Error(w, 401, "Unauthorized", "Invalid token", "invalid_token")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		mux.ServeHTTP(w, r)
	})
}

func auth0Error(w http.ResponseWriter, status int, e, msg, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"statusCode": status, "error": e,
		"message": msg, "errorCode": code})
}

func noUser(w http.ResponseWriter) {
	auth0Error(w, 404, "Not Found", "The user does not exist.", "inexistent_user")
}

func (f *fakeAuth0) getUser(w http.ResponseWriter, r *http.Request) {
	u := f.users[r.PathValue("id")]
	if u == nil {
		noUser(w)
		return
	}
	json.NewEncoder(w).Encode(u)
}

func (f *fakeAuth0) patchUser(w http.ResponseWriter, r *http.Request) {
	u := f.users[r.PathValue("id")]
	if u == nil {
		noUser(w)
		return
	}
	var body struct{ Blocked *bool }
	json.NewDecoder(r.Body).Decode(&body)
	if body.Blocked != nil && *body.Blocked != u.Blocked {
		u.Blocked = *body.Blocked
		f.effects++
	}
	json.NewEncoder(w).Encode(u)
}

func (f *fakeAuth0) deleteUserSessions(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if f.users[id] == nil {
		noUser(w)
		return
	}
	if len(f.sessions[id]) > 0 {
		f.effects++
	}
	delete(f.sessions, id)
	w.WriteHeader(202)
}

func (f *fakeAuth0) deleteUserTokens(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if f.users[id] == nil {
		noUser(w)
		return
	}
	if len(f.tokens[id]) > 0 {
		f.effects++
	}
	delete(f.tokens, id)
	w.WriteHeader(202)
}

func (f *fakeAuth0) findSession(sid string) (string, int) {
	for uid, ss := range f.sessions {
		for i, s := range ss {
			if s.ID == sid {
				return uid, i
			}
		}
	}
	return "", -1
}

func (f *fakeAuth0) deleteSession(w http.ResponseWriter, r *http.Request) {
	uid, i := f.findSession(r.PathValue("sid"))
	if i < 0 {
		auth0Error(w, 404, "Not Found", "Session not found", "session_not_found")
		return
	}
	f.sessions[uid] = append(f.sessions[uid][:i], f.sessions[uid][i+1:]...)
	f.effects++
	w.WriteHeader(202)
}

func (f *fakeAuth0) getSession(w http.ResponseWriter, r *http.Request) {
	uid, i := f.findSession(r.PathValue("sid"))
	if i < 0 {
		auth0Error(w, 404, "Not Found", "Session not found", "session_not_found")
		return
	}
	json.NewEncoder(w).Encode(f.sessions[uid][i])
}

func (f *fakeAuth0) listSessions(w http.ResponseWriter, r *http.Request) {
	writePage(w, r, "sessions", f.sessions[r.PathValue("id")], f.pageSize)
}

func (f *fakeAuth0) listTokens(w http.ResponseWriter, r *http.Request) {
	writePage(w, r, "tokens", f.tokens[r.PathValue("id")], f.pageSize)
}

// writePage answers one checkpoint page: from is an opaque cursor (here
// the index as text), take is capped at size.
func writePage[T any](w http.ResponseWriter, r *http.Request, key string, all []T, size int) {
	from, _ := strconv.Atoi(r.URL.Query().Get("from"))
	take, _ := strconv.Atoi(r.URL.Query().Get("take"))
	end := min(from+min(max(take, 1), size), len(all))
	page := map[string]any{key: append([]T{}, all[from:end]...)}
	if end < len(all) {
		page["next"] = strconv.Itoa(end)
	}
	json.NewEncoder(w).Encode(page)
}

func (f *fakeAuth0) seedSessions(uid string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions[uid] = nil
	f.tokens[uid] = nil
	for i := range n {
		f.sessions[uid] = append(f.sessions[uid], session{ID: fmt.Sprintf("s%d", i)})
	}
}

func (f *fakeAuth0) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.effects
}
