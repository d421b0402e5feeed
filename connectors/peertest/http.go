package peertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// client talks to the peers; it never follows redirects, so that the
// OAuth flows can read where each step points.
var client = &http.Client{
	Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// call sends body as JSON (none when nil) and decodes a JSON answer into
// out (ignored when nil). It fails the test unless the status is want;
// want 0 accepts any. It returns the status.
func call(t testing.TB, method, u string, h http.Header, body any,
	want int, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req := newRequest(t, method, u, h, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp := send(t, req, want)
	return decode(t, resp, out)
}

// postForm posts form values with HTTP Basic auth when user is set.
func postForm(t testing.TB, u, user, pass string, form url.Values,
	want int, out any) int {
	t.Helper()
	req := newRequest(t, http.MethodPost, u, nil,
		strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	return decode(t, send(t, req, want), out)
}

func newRequest(t testing.TB, method, u string, h http.Header,
	body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range h {
		req.Header[k] = v
	}
	return req
}

// send does req and fails the test unless the status is want (any when
// want is 0), showing the answer's body.
func send(t testing.TB, req *http.Request, want int) *http.Response {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	if want != 0 && resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4000))
		resp.Body.Close()
		t.Fatalf("%s %s: status %d, want %d: %s", req.Method, req.URL.Path,
			resp.StatusCode, want, b)
	}
	return resp
}

// decode reads a JSON answer into out, when out is set and there is a
// body, and returns the status.
func decode(t testing.TB, resp *http.Response, out any) int {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("decode answer to %s %s: %v: %s", resp.Request.Method,
				resp.Request.URL.Path, err, b)
		}
	}
	return resp.StatusCode
}
