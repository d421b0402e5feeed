package console

import (
	"net/http"
	"testing"
)

// A search whose before is not after its after can match nothing: it is
// a mistake, named, not an empty answer (as GET /v1/sessions refuses it).
func TestASearchWithAnEmptyTimeRangeNamesIt(t *testing.T) {
	f := newFixture(t, nil)
	b := f.signedIn(f.viewer)
	res, body := b.get("/sessions?created_after=2026-12-05&" +
		"created_before=2026-12-01&seen_after=2026-12-05T10:00&" +
		"seen_before=2026-12-05T10:00")
	wantStatus(t, res, body, http.StatusBadRequest)
	wantIn(t, body, "Created before: &#34;2026-12-01&#34; is not after",
		"Last seen before: &#34;2026-12-05T10:00&#34; is not after")
}
