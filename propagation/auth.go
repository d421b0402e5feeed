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
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
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
