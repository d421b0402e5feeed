package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// throttledOkta is an Okta org, as its session API answers, that holds
// some sessions (read with GET, ended with DELETE) and rate-limits the
// first session deletion it is asked for: a 429 with Okta's error body and X-Rate-Limit-Reset. Other calls
// get what Okta gives: 401 without the token, 404 for what it lacks.
type throttledOkta struct {
	token string

	mu        sync.Mutex
	sessions  map[string]bool
	throttled bool
}

func startThrottledOkta(t *testing.T, token string,
	sessions ...string) *httptest.Server {
	t.Helper()
	o := &throttledOkta{token: token, sessions: map[string]bool{}}
	for _, s := range sessions {
		o.sessions[s] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/sessions/{sid}", o.getSession)
	mux.HandleFunc("DELETE /api/v1/sessions/{sid}", o.deleteSession)
	srv := httptest.NewServer(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "SSWS "+o.token {
				oktaError(w, http.StatusUnauthorized, "E0000011",
					"Invalid token provided")
				return
			}
			if _, pattern := mux.Handler(r); pattern == "" {
				oktaError(w, http.StatusNotFound, "E0000007",
					"Not found: Resource not found: "+r.URL.Path)
				return
			}
			mux.ServeHTTP(w, r)
		}))
	t.Cleanup(srv.Close)
	return srv
}

func (o *throttledOkta) getSession(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	sid := r.PathValue("sid")
	if !o.sessions[sid] {
		oktaError(w, http.StatusNotFound, "E0000007",
			"Not found: Resource not found: "+sid+" (Session)")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"id": sid,
		"userId": "00udave", "status": "ACTIVE"})
}

func (o *throttledOkta) deleteSession(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.throttled {
		o.throttled = true
		reset := time.Now().Add(time.Second).Unix()
		w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(reset, 10))
		oktaError(w, http.StatusTooManyRequests, "E0000047",
			"API call exceeded rate limit due to too many requests.")
		return
	}
	sid := r.PathValue("sid")
	if !o.sessions[sid] {
		oktaError(w, http.StatusNotFound, "E0000007",
			"Not found: Resource not found: "+sid+" (Session)")
		return
	}
	delete(o.sessions, sid)
	w.WriteHeader(http.StatusNoContent)
}

func oktaError(w http.ResponseWriter, status int, code, summary string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errorCode": code,
		"errorSummary": summary, "errorLink": code, "errorId": "oae1",
		"errorCauses": []any{}})
}
