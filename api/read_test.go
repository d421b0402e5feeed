package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// fixture stores two humans and two service accounts with aliases and
// sessions at several providers.
func (e *env) fixture() {
	e.t.Helper()
	ctx := e.t.Context()
	ps := []store.Principal{
		{ID: "alice", Kind: store.KindHuman, DisplayName: "Alice",
			CreatedAt: t0.Add(-48 * time.Hour)},
		{ID: "bob", Kind: store.KindHuman, Status: "disabled"},
		{ID: "ci-bot", Kind: store.KindServiceAccount},
		{ID: "deployer", Kind: store.KindServiceAccount},
	}
	for _, p := range ps {
		must(e.t, e.st.PutPrincipal(ctx, p))
	}
	for _, a := range []store.Alias{
		{Type: "email", Value: "alice@example.com", PrincipalID: "alice"},
		{Type: "okta_user_id", Value: "00u1", PrincipalID: "alice"},
		{Type: "github_login", Value: "shared", PrincipalID: "ci-bot"},
		{Type: "github_login", Value: "shared", PrincipalID: "alice"},
	} {
		must(e.t, e.st.PutAlias(ctx, a))
	}
	for i, s := range []store.Session{
		{ID: "s1", PrincipalID: "alice", Provider: "okta", Kind: "browser",
			Origin: store.Origin{IP: "198.51.100.7", Country: "PT"}},
		{ID: "s2", PrincipalID: "alice", Provider: "github", Kind: "token"},
		{ID: "s3", PrincipalID: "ci-bot", Provider: "github", Kind: "token"},
		{ID: "s4", PrincipalID: "ci-bot", Provider: "vault", Kind: "api"},
		{ID: "s5", PrincipalID: "deployer", Provider: "vault", Kind: "api",
			Status: store.StatusRevoked, Revocation: &store.Revocation{
				At: t0, By: "operator:ana", Reason: "leaked"}},
	} {
		s.CreatedAt = t0.Add(time.Duration(i) * time.Minute)
		must(e.t, e.st.PutSession(ctx, s))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// principalIDs lists the ids of a page of principals.
func principalIDs(p api.PrincipalPage) []string {
	var out []string
	for _, x := range p.Items {
		out = append(out, x.ID)
	}
	return out
}

// sessionIDs lists the ids of a page of sessions.
func sessionIDs(p api.SessionPage) []string {
	var out []string
	for _, x := range p.Items {
		out = append(out, x.ID)
	}
	return out
}

func TestPrincipalsAreListedWithAliasesAndFoundByAlias(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	viewer := e.token(api.Viewer, store.TokenScopes{})
	cases := []struct {
		name, query string
		want        []string
	}{
		{"All principals in id order", "",
			[]string{"alice", "bob", "ci-bot", "deployer"}},
		{"By kind", "kind=service_account", []string{"ci-bot", "deployer"}},
		{"By status", "status=disabled", []string{"bob"}},
		{"By an alias", "alias_type=email&alias=alice@example.com",
			[]string{"alice"}},
		{"By an alias that names two principals",
			"alias_type=github_login&alias=shared",
			[]string{"alice", "ci-bot"}},
		{"By an alias and a kind",
			"alias_type=github_login&alias=shared&kind=human",
			[]string{"alice"}},
		{"By an alias nobody has", "alias_type=email&alias=x@example.com",
			nil},
		{"With a session at a provider", "provider=github",
			[]string{"alice", "ci-bot"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var page api.PrincipalPage
			e.get("/v1/principals?"+c.query, viewer, http.StatusOK, &page)
			if got := principalIDs(page); !slices.Equal(got, c.want) {
				t.Fatalf("principals %q, want %q", got, c.want)
			}
		})
	}
	var alice api.Principal
	e.get("/v1/principals/alice", viewer, http.StatusOK, &alice)
	if alice.DisplayName != "Alice" || len(alice.Aliases) != 3 ||
		alice.Kind != api.PrincipalKindHuman {
		t.Fatalf("alice %+v", alice)
	}
	e.do(http.MethodGet, "/v1/principals/carol", viewer, nil).
		problem(t, http.StatusNotFound, api.ProblemCodeNotFound)
}

func TestSessionsAreFiltered(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	viewer := e.token(api.Viewer, store.TokenScopes{})
	cases := []struct {
		name, query string
		want        []string
	}{
		{"All, oldest first", "", []string{"s1", "s2", "s3", "s4", "s5"}},
		{"By principal", "principal=alice", []string{"s1", "s2"}},
		{"By provider", "provider=vault", []string{"s4", "s5"}},
		{"By kind", "kind=token", []string{"s2", "s3"}},
		{"By status", "status=revoked", []string{"s5"}},
		{"By several", "provider=github&principal=ci-bot", []string{"s3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var page api.SessionPage
			e.get("/v1/sessions?"+c.query, viewer, http.StatusOK, &page)
			if got := sessionIDs(page); !slices.Equal(got, c.want) {
				t.Fatalf("sessions %q, want %q", got, c.want)
			}
		})
	}
	var page api.SessionPage
	e.get("/v1/sessions?principal=deployer", viewer, http.StatusOK, &page)
	if r := page.Items[0].Revocation; r.By != "operator:ana" ||
		r.Reason != "leaked" || !r.At.Equal(t0) {
		t.Fatalf("revocation %+v", r)
	}
}

func TestListsPageWithCursors(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	viewer := e.token(api.Viewer, store.TokenScopes{})
	var got []string
	path := "/v1/sessions?limit=2"
	for pages := 0; ; pages++ {
		if pages == 5 {
			t.Fatalf("no end after 5 pages: %q", got)
		}
		var page api.SessionPage
		e.get(path, viewer, http.StatusOK, &page)
		got = append(got, sessionIDs(page)...)
		if page.NextCursor == "" {
			break
		}
		path = "/v1/sessions?limit=2&cursor=" + url.QueryEscape(page.NextCursor)
	}
	if want := []string{"s1", "s2", "s3", "s4", "s5"}; !slices.Equal(got, want) {
		t.Fatalf("sessions page by page %q, want %q", got, want)
	}

	var first, second api.PrincipalPage
	e.get("/v1/principals?limit=3", viewer, http.StatusOK, &first)
	e.get("/v1/principals?limit=3&cursor="+first.NextCursor, viewer,
		http.StatusOK, &second)
	if got := append(principalIDs(first), principalIDs(second)...); !slices.Equal(
		got, []string{"alice", "bob", "ci-bot", "deployer"}) ||
		second.NextCursor != "" {
		t.Fatalf("principals page by page %q, last cursor %q", got,
			second.NextCursor)
	}
}

func TestBadParametersNameTheParameterAndValue(t *testing.T) {
	e := newEnv(t)
	viewer := e.token(api.Viewer, store.TokenScopes{})
	cases := []struct {
		path, param, value string
	}{
		{"/v1/principals?limit=abc", "limit", "abc"},
		{"/v1/principals?limit=0", "limit", "0"},
		{"/v1/sessions?limit=1001", "limit", "1001"},
		{"/v1/principals?kind=robot", "kind", "robot"},
		{"/v1/principals?status=sleeping", "status", "sleeping"},
		{"/v1/principals?alias=a@example.com", "alias_type", ""},
		{"/v1/sessions?kind=fax", "kind", "fax"},
		{"/v1/sessions?status=gone", "status", "gone"},
		{"/v1/sessions?cursor=bm90LWEtY3Vyc29y", "cursor", "bm90LWEtY3Vyc29y"},
		{"/v1/principals?cursor=%25%25", "cursor", "%%"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s=%s", c.param, c.value), func(t *testing.T) {
			p := e.do(http.MethodGet, c.path, viewer, nil).
				problem(t, http.StatusBadRequest, api.ProblemCodeInvalidParameter)
			if p.Parameter != c.param || p.Value != c.value {
				t.Fatalf("problem names %q=%q, want %q=%q", p.Parameter,
					p.Value, c.param, c.value)
			}
		})
	}
}

func TestScopedTokensSeeOnlyTheirPrincipalsAndProviders(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	bots := e.token(api.Viewer, store.TokenScopes{
		PrincipalKinds: []store.PrincipalKind{store.KindServiceAccount}})
	vault := e.token(api.Viewer, store.TokenScopes{
		Providers: []string{"vault"}})

	var ps api.PrincipalPage
	e.get("/v1/principals", bots, http.StatusOK, &ps)
	if got := principalIDs(ps); !slices.Equal(got, []string{"ci-bot", "deployer"}) {
		t.Errorf("service-account token sees principals %q", got)
	}
	e.get("/v1/principals?alias_type=github_login&alias=shared", bots,
		http.StatusOK, &ps)
	if got := principalIDs(ps); !slices.Equal(got, []string{"ci-bot"}) {
		t.Errorf("service-account token finds by alias %q", got)
	}
	e.get("/v1/principals?kind=human", bots, http.StatusOK, &ps)
	if len(ps.Items) != 0 {
		t.Errorf("service-account token lists humans %q", principalIDs(ps))
	}
	e.do(http.MethodGet, "/v1/principals/alice", bots, nil).
		problem(t, http.StatusNotFound, api.ProblemCodeNotFound)

	e.get("/v1/principals", vault, http.StatusOK, &ps)
	if got := principalIDs(ps); !slices.Equal(got, []string{"ci-bot", "deployer"}) {
		t.Errorf("vault token sees principals %q, want those with vault sessions", got)
	}
	e.get("/v1/principals?alias_type=email&alias=alice@example.com", vault,
		http.StatusOK, &ps)
	if len(ps.Items) != 0 {
		t.Errorf("vault token finds alice by alias")
	}
	e.do(http.MethodGet, "/v1/principals/alice", vault, nil).
		problem(t, http.StatusNotFound, api.ProblemCodeNotFound)
	e.get("/v1/principals/ci-bot", vault, http.StatusOK, nil)

	cases := []struct {
		name, secret, query string
		want                []string
	}{
		{"Service accounts' sessions only", bots, "",
			[]string{"s3", "s4", "s5"}},
		{"Not a human's, even when asked by principal", bots,
			"principal=alice", nil},
		{"Vault sessions only", vault, "", []string{"s4", "s5"}},
		{"Not another provider's, even when asked", vault,
			"provider=github", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var page api.SessionPage
			e.get("/v1/sessions?"+c.query, c.secret, http.StatusOK, &page)
			if got := sessionIDs(page); !slices.Equal(got, c.want) {
				t.Fatalf("sessions %q, want %q", got, c.want)
			}
		})
	}
}

func TestTheSpecIsServedAndEveryRouteHasARole(t *testing.T) {
	e := newEnv(t)
	viewer := e.token(api.Viewer, store.TokenScopes{})
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			Security []map[string][]string `json:"security"`
		} `json:"paths"`
	}
	e.get("/v1/openapi.json", viewer, http.StatusOK, &doc)
	if doc.OpenAPI == "" || len(doc.Paths) == 0 {
		t.Fatalf("spec %+v", doc)
	}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if len(op.Security) != 1 ||
				!api.Role(op.Security[0]["bearerAuth"][0]).Valid() {
				b, _ := json.Marshal(op.Security)
				t.Errorf("%s %s: security %s names no role", method, path, b)
			}
		}
	}
	e.do(http.MethodGet, "/v1/nothing-here", viewer, nil).
		problem(t, http.StatusNotFound, api.ProblemCodeNotFound)
}
