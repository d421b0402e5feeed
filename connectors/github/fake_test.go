package github

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
)

// fakeGitHub reproduces the REST calls the connector makes: secret
// scanning alerts (with their secret, Link paging with page and
// per_page), PATCH resolving an alert (200 with the alert), and POST
// /credentials/revoke (202; refused with 403 when authenticated, as on
// github.com; unknown tokens accepted silently). Errors are
// {"message","documentation_url","status"}.
type fakeGitHub struct {
	mu       sync.Mutex
	token    string
	alerts   map[string][]*alert // repo -> alerts
	revoked  map[string]bool
	effects  int
	pageSize int
}

func newFakeGitHub(token string) *fakeGitHub {
	return &fakeGitHub{token: token, pageSize: 2, revoked: map[string]bool{},
		alerts: map[string][]*alert{}}
}

func (f *fakeGitHub) addAlert(repo, secret string) *alert {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := &alert{Secret: secret}
	a.Repo, a.Number, a.State = repo, len(f.alerts[repo])+1, "open"
	a.SecretType, a.Validity = "github_personal_access_token", "active"
	f.alerts[repo] = append(f.alerts[repo], a)
	return a
}

func (f *fakeGitHub) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /repos/{o}/{r}/secret-scanning/alerts", f.list)
	mux.HandleFunc("GET /repos/{o}/{r}/secret-scanning/alerts/{n}", f.get)
	mux.HandleFunc("PATCH /repos/{o}/{r}/secret-scanning/alerts/{n}", f.patch)
	mux.HandleFunc("POST /credentials/revoke", f.revoke)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-GitHub-Request-Id", "GH:1")
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.URL.Path != "/credentials/revoke" &&
			r.Header.Get("Authorization") != "Bearer "+f.token {
			ghError(w, 401, "Bad credentials")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func ghError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": msg,
		"documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(status)})
}

func (f *fakeGitHub) list(w http.ResponseWriter, r *http.Request) {
	repo := r.PathValue("o") + "/" + r.PathValue("r")
	all := f.alerts[repo]
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	from := min((page-1)*f.pageSize, len(all))
	end := min(from+f.pageSize, len(all))
	if end < len(all) {
		w.Header().Add("Link", fmt.Sprintf(`<http://%s%s?per_page=100&page=%d>; rel="next", `+
			`<http://%s%s?per_page=100&page=1>; rel="first"`, r.Host, r.URL.Path, page+1,
			r.Host, r.URL.Path))
	}
	json.NewEncoder(w).Encode(all[from:end])
}

func (f *fakeGitHub) find(r *http.Request) *alert {
	n, _ := strconv.Atoi(r.PathValue("n"))
	for _, a := range f.alerts[r.PathValue("o")+"/"+r.PathValue("r")] {
		if a.Number == n {
			return a
		}
	}
	return nil
}

func (f *fakeGitHub) get(w http.ResponseWriter, r *http.Request) {
	a := f.find(r)
	if a == nil {
		ghError(w, 404, "Not Found")
		return
	}
	json.NewEncoder(w).Encode(a)
}

func (f *fakeGitHub) patch(w http.ResponseWriter, r *http.Request) {
	a := f.find(r)
	if a == nil {
		ghError(w, 404, "Not Found")
		return
	}
	var body struct{ State, Resolution string }
	json.NewDecoder(r.Body).Decode(&body)
	if body.State == "resolved" && body.Resolution == "" {
		ghError(w, 422, "Validation Failed")
		return
	}
	a.State, a.Resolution = body.State, body.Resolution
	json.NewEncoder(w).Encode(a)
}

func (f *fakeGitHub) revoke(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "" {
		ghError(w, 403, "Must not be authenticated")
		return
	}
	var body struct{ Credentials []string }
	if json.NewDecoder(r.Body).Decode(&body) != nil || len(body.Credentials) == 0 {
		ghError(w, 422, "Validation Failed")
		return
	}
	for _, s := range body.Credentials {
		if !f.revoked[s] {
			f.revoked[s] = true
			f.effects++
		}
		for _, as := range f.alerts {
			for _, a := range as {
				if a.Secret == s {
					a.Validity = "inactive"
				}
			}
		}
	}
	w.WriteHeader(202)
	w.Write([]byte("{}"))
}

func (f *fakeGitHub) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.effects
}
