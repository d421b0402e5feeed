package sweeps

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// fakeGitHub answers the REST calls the github connector makes, as
// GitHub documents them: GET and PATCH of a secret scanning alert (the
// alert carries its secret and GitHub's validity check: active,
// inactive or unknown), and POST /credentials/revoke (202, refused with
// 403 when authenticated, as on github.com), after which the token's
// alerts say inactive. Alert calls need the API token. It records every
// call as "METHOD path".
type fakeGitHub struct {
	mu     sync.Mutex
	token  string
	alerts map[string]*ghAlert // "owner/repo#n"
	calls  []string
}

type ghAlert struct {
	Number     int    `json:"number"`
	State      string `json:"state"`
	Resolution string `json:"resolution,omitempty"`
	SecretType string `json:"secret_type"`
	Secret     string `json:"secret"`
	Validity   string `json:"validity"`
	CreatedAt  string `json:"created_at"`
}

func newFakeGitHub(t *testing.T, token string) (*fakeGitHub, *httptest.Server) {
	f := &fakeGitHub{token: token, alerts: map[string]*ghAlert{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /repos/{o}/{r}/secret-scanning/alerts/{n}", f.get)
	mux.HandleFunc("PATCH /repos/{o}/{r}/secret-scanning/alerts/{n}", f.patch)
	mux.HandleFunc("POST /credentials/revoke", f.revoke)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls = append(f.calls, r.Method+" "+r.URL.Path)
		w.Header().Set("X-GitHub-Request-Id", "GH:"+strconv.Itoa(len(f.calls)))
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.URL.Path != "/credentials/revoke" &&
			r.Header.Get("Authorization") != "Bearer "+f.token {
			ghError(w, 401, "Bad credentials")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeGitHub) addAlert(repo string, n int, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alerts[repo+"#"+strconv.Itoa(n)] = &ghAlert{Number: n, State: "open",
		SecretType: "github_personal_access_token", Secret: secret,
		Validity: "active", CreatedAt: "2026-05-01T09:00:00Z"}
}

// takeCalls returns the calls since the last take.
func (f *fakeGitHub) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func ghError(w http.ResponseWriter, status int, msg string) {
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"message": msg,
		"documentation_url": "https://docs.github.com/rest",
		"status":            strconv.Itoa(status)})
}

func (f *fakeGitHub) find(r *http.Request) *ghAlert {
	return f.alerts[r.PathValue("o")+"/"+r.PathValue("r")+"#"+r.PathValue("n")]
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
	if json.NewDecoder(r.Body).Decode(&body) != nil ||
		(body.State == "resolved" && body.Resolution == "") {
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
		for _, a := range f.alerts {
			if a.Secret == s {
				a.Validity = "inactive"
			}
		}
	}
	w.WriteHeader(202)
	w.Write([]byte("{}"))
}
