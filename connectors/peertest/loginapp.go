package peertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// LoginApp is a login and consent app for Hydra: it signs in whoever the
// test last named with SignInAs, grants every scope asked for, and puts
// the claims the test gives for the subject in the ID token. It accepts
// each challenge through Hydra's admin API, as a real app does once its
// user has proven who they are.
type LoginApp struct {
	// URL serves the login page at /login and the consent page at
	// /consent.
	URL string
	// Interactive, set before the first login, makes the login page a
	// form with one button (id "login") that the user must press, as on
	// a real provider: what follows is then a navigation the provider's
	// site started. Otherwise the login is accepted at once.
	Interactive bool
	claims      func(subject string) map[string]any
	mu          sync.Mutex
	hydra       *Hydra // nil until started
	user        string
}

// NewLoginApp serves a login and consent app until the test ends;
// claims gives the ID token's claims of a subject.
func NewLoginApp(t testing.TB, claims func(subject string) map[string]any) *LoginApp {
	t.Helper()
	a := &LoginApp{claims: claims}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", a.loginPage)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("GET /consent", a.consent)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}

// StartHydra runs Hydra, its public API on port (0: a free one), sending
// browsers to this app to sign in and consent.
func (a *LoginApp) StartHydra(t testing.TB, port int) *Hydra {
	t.Helper()
	h := StartHydraWith(t, HydraOptions{PublicPort: port,
		LoginURL: a.URL + "/login", ConsentURL: a.URL + "/consent"})
	a.mu.Lock()
	defer a.mu.Unlock()
	a.hydra = h
	return h
}

// SignInAs makes the next logins sign in subject.
func (a *LoginApp) SignInAs(subject string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.user = subject
}

// loginPage accepts the login at once, or shows the form whose button
// does when the app is interactive.
func (a *LoginApp) loginPage(w http.ResponseWriter, r *http.Request) {
	if !a.Interactive {
		a.login(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>Test IdP</title>
<form method="post" action="/login">
<input type="hidden" name="login_challenge" value="%s">
<button id="login" type="submit">Sign in</button></form>`,
		html.EscapeString(r.URL.Query().Get("login_challenge")))
}

// login accepts the login of the challenge in the query or form.
func (a *LoginApp) login(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	user := a.user
	a.mu.Unlock()
	to, err := a.accept("login", r.FormValue("login_challenge"),
		map[string]any{"subject": user})
	answer(w, r, to, err)
}

func (a *LoginApp) consent(w http.ResponseWriter, r *http.Request) {
	ch := r.URL.Query().Get("consent_challenge")
	var req struct {
		Subject string   `json:"subject"`
		Scope   []string `json:"requested_scope"`
	}
	err := a.admin(http.MethodGet, "consent?consent_challenge="+
		url.QueryEscape(ch), nil, &req)
	var to string
	if err == nil {
		to, err = a.accept("consent", ch, map[string]any{
			"grant_scope": req.Scope, "session": map[string]any{
				"id_token": a.claims(req.Subject)}})
	}
	answer(w, r, to, err)
}

// answer sends the browser on to to, or shows err.
func answer(w http.ResponseWriter, r *http.Request, to string, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// accept accepts a login or consent challenge and returns where Hydra
// sends the browser next.
func (a *LoginApp) accept(kind, challenge string, body any) (string, error) {
	var out struct {
		RedirectTo string `json:"redirect_to"`
	}
	err := a.admin(http.MethodPut, kind+"/accept?"+kind+"_challenge="+
		url.QueryEscape(challenge), body, &out)
	return out.RedirectTo, err
}

// admin calls Hydra's admin API at /admin/oauth2/auth/requests/path.
func (a *LoginApp) admin(method, path string, body, out any) error {
	a.mu.Lock()
	h := a.hydra
	a.mu.Unlock()
	if h == nil {
		return fmt.Errorf("%s %s: Hydra is not started", method, path)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(method, h.AdminURL+
		"/admin/oauth2/auth/requests/"+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: status %d: %s", method, path,
			res.StatusCode, data)
	}
	return json.Unmarshal(data, out)
}
