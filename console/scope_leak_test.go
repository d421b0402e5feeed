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

// A page or change about a record outside the caller's scope is
// answered as one about a record the registry does not hold: "alice is
// a human, outside your scope" told a token scoped to service accounts
// who the people are.
func TestARecordOutsideTheScopeIsAnsweredAsAnUnknownOne(t *testing.T) {
	f := newFixture(t, nil)
	f.hold("act-human", "frank")
	sam := f.signedIn(f.saOnly)
	pete := f.signedIn(f.token("pete", "responder", nil, "github"))
	same := func(b *browser, what string, known, unknown func() (*http.Response, string), id, other string) {
		t.Helper()
		kr, kb := known()
		ur, ub := unknown()
		km := strings.ReplaceAll(mainText(kb), id, "ID")
		um := strings.ReplaceAll(mainText(ub), other, "ID")
		if kr.StatusCode != ur.StatusCode || km != um {
			t.Errorf("%s: out of scope %d %q, unknown %d %q", what,
				kr.StatusCode, km, ur.StatusCode, um)
		}
	}
	get := func(b *browser, p string) func() (*http.Response, string) {
		return func() (*http.Response, string) { return b.get(p) }
	}
	lock := func(b *browser, typ, target string) func() (*http.Response, string) {
		return func() (*http.Response, string) {
			return b.post("/locks", map[string][]string{
				"target_type": {typ}, "target": {target}, "reason": {"x"}})
		}
	}
	approve := func(b *browser, id string) func() (*http.Response, string) {
		return func() (*http.Response, string) {
			return b.post("/approvals/"+id, map[string][]string{
				"verdict": {"approve"}, "reason": {"x"}})
		}
	}
	same(sam, "principal page", get(sam, "/principals/alice"),
		get(sam, "/principals/nobody"), "alice", "nobody")
	same(pete, "principal page, provider scope",
		get(pete, "/principals/alice"), get(pete, "/principals/nobody"),
		"alice", "nobody")
	same(sam, "lock", lock(sam, "principal", "alice"),
		lock(sam, "principal", "nobody"), "alice", "nobody")
	same(sam, "credential lock", lock(sam, "credential", "alice-aws-key"),
		lock(sam, "credential", "nobody-key"), "alice-aws-key", "nobody-key")
	same(sam, "approval", approve(sam, "act-human"),
		approve(sam, "act-nobody"), "act-human", "act-nobody")
	res, body := pete.get("/principals/deploy-bot")
	wantStatus(t, res, body, http.StatusOK)
}

// mainText is the text of a page's main element, tags dropped.
func mainText(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if i := strings.Index(body, "</main>"); i >= 0 {
		body = body[:i]
	}
	var b strings.Builder
	in := false
	for _, r := range body {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// A principal's page shows a token scoped to providers no alias of a
// credential outside its scope (alice's AWS access key id to Okta).
func TestThePrincipalPageShowsNoAliasOfACredentialOutsideTheScope(t *testing.T) {
	f := newFixture(t, nil)
	olga := f.signedIn(f.token("olga", "viewer", nil, "okta"))
	res, body := olga.get("/principals/alice")
	wantStatus(t, res, body, http.StatusOK)
	wantIn(t, body, "alice@example.com")
	if strings.Contains(body, "AKIAALICEDEMO0000001") ||
		strings.Contains(body, "alice-aws-key") {
		t.Errorf("an Okta token sees alice's AWS key:\n%s", excerpt(body))
	}
}
