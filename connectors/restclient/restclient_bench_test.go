package restclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/killswitch-dev/killswitch/connectors"
)

// BenchmarkRevoke204 is the hot path of a connector: one DELETE answered
// 204, through retry policy, breaker, auth and classification.
func BenchmarkRevoke204(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c, err := New("bench", Config{BaseURL: srv.URL}, Bearer(NewSecret("bench-token")), nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	req := Request{Method: http.MethodDelete, Path: "/api/v1/sessions/102abc"}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Do(ctx, req)
		if res := c.Result(resp, err); res.Outcome != connectors.Done {
			b.Fatalf("got %s", res)
		}
	}
}

// BenchmarkRevoke204RateLimited adds the per-host token bucket.
func BenchmarkRevoke204RateLimited(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c, err := New("bench", Config{BaseURL: srv.URL, RateLimit: 1e9},
		SSWS(NewSecret("bench-token")), nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	req := Request{Method: http.MethodDelete, Path: "/api/v1/sessions/102abc"}
	for b.Loop() {
		resp, err := c.Do(ctx, req)
		if err != nil || resp.Status != http.StatusNoContent {
			b.Fatalf("got %v, %v", resp, err)
		}
	}
}

// BenchmarkClassify is the shared classification of a vendor error body.
func BenchmarkClassify(b *testing.B) {
	resp := &Response{Status: 404, Header: http.Header{"X-Okta-Request-Id": {"r1"}},
		Body: []byte(`{"errorCode":"E0000007","errorSummary":"Not found: Resource not found: x (User)",` +
			`"errorLink":"E0000007","errorId":"oae1","errorCauses":[]}`), client: "okta"}
	b.ReportAllocs()
	for b.Loop() {
		if Classify(resp, nil, Dialect{}).Outcome != connectors.AlreadyDone {
			b.Fatal("not already done")
		}
	}
}
