package google

import (
	"encoding/json"
	"net/http"
	"sync"
)

// fakeDirectory reproduces the Admin SDK Directory API calls the
// connector makes: signOut answering 204 with an empty body, tokens and
// asps lists ({"kind","items":[...]}, items absent when empty), 204 on
// deletes, 200 with the user on PATCH, and Google's error body
// {"error":{"code","message","errors":[{"domain","reason","message"}]}}.
type fakeDirectory struct {
	mu       sync.Mutex
	token    string
	users    map[string]*fakeUser
	effects  int
	signOuts int
}

type fakeUser struct {
	ID, Email    string
	Suspended    bool
	LiveSessions bool
	Tokens       []token
	ASPs         []asp
}

func newFakeDirectory(tok string) *fakeDirectory {
	return &fakeDirectory{token: tok, users: map[string]*fakeUser{
		"1001": {ID: "1001", Email: "alice@example.com", LiveSessions: true,
			Tokens: []token{{ClientID: "123.apps.googleusercontent.com",
				DisplayText: "Some App", Scopes: []string{"openid"}}},
			ASPs: []asp{{CodeID: "7", Name: "mail", CreationTime: "1735689600000",
				LastTimeUsed: "1735693200000"}}}}}
}

func (f *fakeDirectory) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/directory/v1/users/{key}", f.getUser)
	mux.HandleFunc("PATCH /admin/directory/v1/users/{key}", f.patchUser)
	mux.HandleFunc("POST /admin/directory/v1/users/{key}/signOut", f.signOut)
	mux.HandleFunc("GET /admin/directory/v1/users/{key}/tokens", f.listTokens)
	mux.HandleFunc("DELETE /admin/directory/v1/users/{key}/tokens/{client}", f.deleteToken)
	mux.HandleFunc("GET /admin/directory/v1/users/{key}/asps", f.listASPs)
	mux.HandleFunc("DELETE /admin/directory/v1/users/{key}/asps/{code}", f.deleteASP)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+f.token {
			googleError(w, 401, "Login Required.", "required")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		mux.ServeHTTP(w, r)
	})
}

func googleError(w http.ResponseWriter, code int, msg, reason string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": code, "message": msg, "errors": []any{map[string]any{
			"domain": "global", "reason": reason, "message": msg}}}})
}

func (f *fakeDirectory) user(w http.ResponseWriter, r *http.Request) *fakeUser {
	key := r.PathValue("key")
	for _, u := range f.users {
		if u.ID == key || u.Email == key {
			return u
		}
	}
	googleError(w, 404, "Resource Not Found: userKey", "notFound")
	return nil
}

func (f *fakeDirectory) getUser(w http.ResponseWriter, r *http.Request) {
	if u := f.user(w, r); u != nil {
		json.NewEncoder(w).Encode(map[string]any{"kind": "admin#directory#user",
			"id": u.ID, "primaryEmail": u.Email, "suspended": u.Suspended})
	}
}

func (f *fakeDirectory) patchUser(w http.ResponseWriter, r *http.Request) {
	u := f.user(w, r)
	if u == nil {
		return
	}
	var body struct{ Suspended *bool }
	json.NewDecoder(r.Body).Decode(&body)
	if body.Suspended != nil && *body.Suspended != u.Suspended {
		u.Suspended = *body.Suspended
		f.effects++
	}
	json.NewEncoder(w).Encode(map[string]any{"id": u.ID, "suspended": u.Suspended})
}

func (f *fakeDirectory) signOut(w http.ResponseWriter, r *http.Request) {
	u := f.user(w, r)
	if u == nil {
		return
	}
	f.signOuts++
	if u.LiveSessions {
		u.LiveSessions = false
		f.effects++
	}
	w.WriteHeader(204)
}

func (f *fakeDirectory) listTokens(w http.ResponseWriter, r *http.Request) {
	if u := f.user(w, r); u != nil {
		out := map[string]any{"kind": "admin#directory#tokenList", "etag": `"e"`}
		if len(u.Tokens) > 0 {
			out["items"] = u.Tokens
		}
		json.NewEncoder(w).Encode(out)
	}
}

func (f *fakeDirectory) deleteToken(w http.ResponseWriter, r *http.Request) {
	u := f.user(w, r)
	if u == nil {
		return
	}
	for i, t := range u.Tokens {
		if t.ClientID == r.PathValue("client") {
			u.Tokens = append(u.Tokens[:i], u.Tokens[i+1:]...)
			f.effects++
			w.WriteHeader(204)
			return
		}
	}
	googleError(w, 404, "Resource Not Found: clientId", "notFound")
}

func (f *fakeDirectory) listASPs(w http.ResponseWriter, r *http.Request) {
	if u := f.user(w, r); u != nil {
		json.NewEncoder(w).Encode(map[string]any{"kind": "admin#directory#asps",
			"items": u.ASPs})
	}
}

func (f *fakeDirectory) deleteASP(w http.ResponseWriter, r *http.Request) {
	u := f.user(w, r)
	if u == nil {
		return
	}
	for i, a := range u.ASPs {
		if a.CodeID.String() == r.PathValue("code") {
			u.ASPs = append(u.ASPs[:i], u.ASPs[i+1:]...)
			f.effects++
			w.WriteHeader(204)
			return
		}
	}
	googleError(w, 404, "Resource Not Found: codeId", "notFound")
}

func (f *fakeDirectory) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.effects
}
