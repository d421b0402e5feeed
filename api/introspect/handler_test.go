package introspect

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// post sends body to the handler and decodes the JSON answer into v.
func post(t *testing.T, h http.Handler, body string, v any) *http.Response {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(body))
	must(t, err)
	defer resp.Body.Close()
	must(t, json.NewDecoder(resp.Body).Decode(v))
	return resp
}

func TestHandlerAnswersInJSON(t *testing.T) {
	st, _ := open(t)
	fixture(t, st)
	x := loaded(t, st)
	var a Answer
	resp := post(t, x.Handler(nil), `{"session_id":"bob-web"}`, &a)
	if resp.StatusCode != 200 || a.Active || a.Reason != ReasonCredentialRevoked ||
		a.Revocation == nil || a.Revocation.Reason != "leaked" {
		t.Fatalf("%d %+v, want 200 and credential_revoked for \"leaked\"",
			resp.StatusCode, a)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control = %q, want no-store", cc)
	}
}

func TestHandlerProblems(t *testing.T) {
	st, _ := open(t)
	fixture(t, st)
	var p map[string]any
	resp := post(t, loaded(t, st).Handler(nil), `{"session_id":""}`, &p)
	if resp.StatusCode != 400 || resp.Header.Get("Content-Type") !=
		"application/problem+json" || !strings.Contains(p["detail"].(string),
		"exactly one") {
		t.Fatalf("%d %v, want a 400 problem saying to name exactly one",
			resp.StatusCode, p)
	}
	cold := New(st, Config{}, clock, slog.New(slog.DiscardHandler))
	resp = post(t, cold.Handler(nil), `{"session_id":"alice-web"}`, &p)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("%d %v, want 503 with Retry-After before the first load",
			resp.StatusCode, p)
	}
}
