package propagation

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestBearerAuthTakesTheSchemeInAnyCase(t *testing.T) {
	h := BearerAuth(apiToken)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	cases := []struct {
		name, header string
		want         int
	}{
		{"Bearer as RFC 6750 writes it", "Bearer " + apiToken, http.StatusNoContent},
		{"bearer in lower case", "bearer " + apiToken, http.StatusNoContent},
		{"BEARER in upper case", "BEARER " + apiToken, http.StatusNoContent},
		{"two spaces before the token", "Bearer  " + apiToken, http.StatusNoContent},
		{"another scheme", "Basic " + apiToken, http.StatusUnauthorized},
		{"another token", "Bearer wrong", http.StatusUnauthorized},
		{"the token with no scheme", apiToken, http.StatusUnauthorized},
		{"no header", "", http.StatusUnauthorized},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", PathStreams, nil)
		req.Header.Set("Authorization", c.header)
		rec := httptest.NewRecorder()

		h.ServeHTTP(rec, req)

		if rec.Code != c.want {
			t.Errorf("%s: %d, want %d", c.name, rec.Code, c.want)
		}
	}
}
