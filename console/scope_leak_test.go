package console

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A scoped token learns nothing of what is outside its scope, not even
// how many: a count of "more outside your scope" for a search or an
// audit subject of its choosing tells a token scoped to service accounts
// whether a person has sessions from a country, or was acted on.
func TestAScopedTokenIsToldNoCountOfWhatIsOutsideItsScope(t *testing.T) {
	f := newFixture(t, nil)
	sam := f.signedIn(f.saOnly)
	rita := f.signedIn(f.responder)
	_, body := rita.get("/sessions?principal=alice")
	wantIn(t, body, "<strong>3</strong> sessions match")
	for _, page := range []string{"/sessions?principal=alice",
		"/sessions?principal=alice&country=US", "/",
		"/audit?subject=principal:alice", "/audit?subject=alice-okta-laptop",
		"/audit"} {
		res, body := sam.get(page)
		wantStatus(t, res, body, http.StatusOK)
		if strings.Contains(body, "outside your scope") ||
			strings.Contains(body, "outside it") {
			t.Errorf("%s tells a scoped token of what is outside its "+
				"scope:\n%s", page, excerpt(body))
		}
	}
	_, body = sam.get("/sessions?principal=alice")
	wantIn(t, body, "<strong>0</strong> sessions match")
	_ = fmt.Sprint
}
