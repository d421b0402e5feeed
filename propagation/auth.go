package propagation

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/killswitch-dev/killswitch/store"
)

// BearerAuth guards handlers with one shared bearer token (RFC 6750),
// for a transmitter run without the API's token store: a request without
// "Authorization: Bearer <token>" gets 401. An empty token refuses every
// request.
func BearerAuth(token store.Secret) func(http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token.Reveal()))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, ok := bearerToken(r.Header.Get("Authorization"))
			sum := sha256.Sum256([]byte(got))
			if !ok || token == "" || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="killswitch"`)
				problem(w, http.StatusUnauthorized, "unauthenticated",
					"a bearer token is required")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// bearerToken is the token of an Authorization header of the Bearer
// scheme, which is matched without regard to case (RFC 9110 11.1, RFC
// 6750 2.1): a receiver sending "bearer <token>" was refused.
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}
