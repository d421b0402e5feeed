package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// day is 24 hours.
const day = 24 * time.Hour

// credentials stores alice's password, ci-bot's access key (exposed ten
// days ago, still valid) and deployer's token (exposed two days ago,
// now invalid), on top of fixture.
func (e *env) credentials() {
	e.t.Helper()
	ctx := e.t.Context()
	for _, c := range []store.Credential{
		{ID: "alice-pw", PrincipalID: "alice", Kind: "password",
			Store: "okta", CreatedAt: t0.Add(-400 * day),
			LastUsedAt: t0.Add(-time.Hour)},
		{ID: "ci-key", PrincipalID: "ci-bot", Kind: "access_key",
			Store: "aws", ExternalID: "AKIAEXAMPLE",
			Fingerprint: "sha256:0b3f", CreatedAt: t0.Add(-90 * day),
			LastUsedAt: t0.Add(-2 * time.Hour)},
		{ID: "deploy-pat", PrincipalID: "deployer", Kind: "api_key",
			Store: "github", CreatedAt: t0.Add(-30 * day),
			Effect: store.EffectAtExpiry},
	} {
		must(e.t, e.st.PutCredential(ctx, c))
	}
	for _, x := range []store.ExposureRecord{
		{CredentialID: "ci-key", Source: "github_secret_scanning",
			Where: "acme/app", FirstSeen: t0.Add(-10 * day),
			LastSeen: t0.Add(-day)},
		{CredentialID: "deploy-pat", Source: "gitguardian",
			FirstSeen: t0.Add(-2 * day), LastSeen: t0.Add(-2 * day)},
	} {
		_, err := e.st.RecordExposure(ctx, x)
		must(e.t, err)
	}
	must(e.t, e.st.SetExposureValidity(ctx, "ci-key", store.ValidityValid,
		t0.Add(-time.Hour)))
	must(e.t, e.st.SetExposureValidity(ctx, "deploy-pat",
		store.ValidityInvalid, t0.Add(-time.Hour)))
}

// credentialIDs lists the ids of a page of credentials.
func credentialIDs(p api.CredentialPage) []string {
	var out []string
	for _, x := range p.Items {
		out = append(out, x.ID)
	}
	return out
}

func TestCredentialsAreListedWithExposuresAndFiltered(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	e.credentials()
	viewer := e.token(api.Viewer, store.TokenScopes{})
	cases := []struct {
		name, query string
		want        []string
	}{
		{"All, oldest first", "", []string{"alice-pw", "ci-key", "deploy-pat"}},
		{"Exposed", "exposed=true", []string{"ci-key", "deploy-pat"}},
		{"Still valid", "still_valid=true", []string{"ci-key"}},
		{"Exposed longer ago than 5 days", "older_than=5d",
			[]string{"ci-key"}},
		{"Exposed longer ago than 36 hours", "older_than=36h",
			[]string{"ci-key", "deploy-pat"}},
		{"By provider", "provider=okta", []string{"alice-pw"}},
		{"By revocation effect", "revocation_effect=at_expiry",
			[]string{"deploy-pat"}},
		{"By kind and principal", "kind=access_key&principal=ci-bot",
			[]string{"ci-key"}},
		{"Most recently used first, never used last", "sort=-last_used_at",
			[]string{"alice-pw", "ci-key", "deploy-pat"}},
		{"Created in a range", "created_after=" +
			url.QueryEscape(t0.Add(-100*day).Format(time.RFC3339)),
			[]string{"ci-key", "deploy-pat"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var page api.CredentialPage
			e.get("/v1/credentials?"+c.query, viewer, http.StatusOK, &page)
			if got := credentialIDs(page); !slices.Equal(got, c.want) {
				t.Fatalf("credentials %q, want %q", got, c.want)
			}
		})
	}

	var key api.Credential
	e.get("/v1/credentials/ci-key", viewer, http.StatusOK, &key)
	if key.AgeDays != 90 || key.DaysSinceExposure != 10 ||
		key.Validity != api.ValidityValid || len(key.Exposures) != 1 ||
		key.Exposures[0].Where != "acme/app" ||
		!key.FirstExposedAt.Equal(t0.Add(-10*day)) {
		t.Fatalf("ci-key %+v", key)
	}
	p := e.do(http.MethodGet, "/v1/credentials?older_than=soon", viewer, nil).
		problem(t, http.StatusBadRequest, api.ProblemCodeInvalidParameter)
	if p.Parameter != "older_than" || p.Value != "soon" {
		t.Errorf("problem names %q=%q", p.Parameter, p.Value)
	}
	p = e.do(http.MethodGet, "/v1/credentials?older_than=213504d", viewer, nil).
		problem(t, http.StatusBadRequest, api.ProblemCodeInvalidParameter)
	if p.Parameter != "older_than" || p.Value != "213504d" {
		t.Errorf("a number of days past what a duration holds: "+
			"problem names %q=%q", p.Parameter, p.Value)
	}
	p = e.do(http.MethodGet, "/v1/credentials?exposed=maybe", viewer, nil).
		problem(t, http.StatusBadRequest, api.ProblemCodeInvalidParameter)
	if p.Parameter != "exposed" || p.Value != "maybe" {
		t.Errorf("problem names %q=%q", p.Parameter, p.Value)
	}
}

func TestScopedTokensSeeOnlyTheirCredentials(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	e.credentials()
	humans := e.token(api.Viewer, store.TokenScopes{
		PrincipalKinds: []store.PrincipalKind{store.KindHuman}})
	github := e.token(api.Viewer, store.TokenScopes{
		Providers: []string{"github"}})
	cases := []struct {
		name, secret, query string
		want                []string
	}{
		{"Humans' only", humans, "", []string{"alice-pw"}},
		{"Not a service account's, even when asked", humans,
			"principal=ci-bot", nil},
		{"GitHub's only", github, "", []string{"deploy-pat"}},
		{"Not another provider's, even when asked", github,
			"provider=aws", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var page api.CredentialPage
			e.get("/v1/credentials?"+c.query, c.secret, http.StatusOK, &page)
			if got := credentialIDs(page); !slices.Equal(got, c.want) {
				t.Fatalf("credentials %q, want %q", got, c.want)
			}
		})
	}
	e.do(http.MethodGet, "/v1/credentials/ci-key", humans, nil).
		problem(t, http.StatusNotFound, api.ProblemCodeNotFound)
	e.get("/v1/credentials/alice-pw", humans, http.StatusOK, nil)
}

func TestSessionsByOriginTimesAndOrder(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	ctx := t.Context()
	ses, err := e.st.GetSession(ctx, "s3")
	must(t, err)
	ses.Origin = store.Origin{IP: "203.0.113.50", Country: "DE"}
	ses.LastSeenAt, ses.Effect = t0.Add(time.Hour), store.EffectEventual
	must(t, e.st.PutSession(ctx, ses))
	ses, err = e.st.GetSession(ctx, "s1")
	must(t, err)
	ses.LastSeenAt = t0.Add(2 * time.Hour)
	must(t, e.st.PutSession(ctx, ses))
	viewer := e.token(api.Viewer, store.TokenScopes{})
	at := func(d time.Duration) string {
		return url.QueryEscape(t0.Add(d).Format(time.RFC3339))
	}
	cases := []struct {
		name, query string
		want        []string
	}{
		{"By country", "country=PT", []string{"s1"}},
		{"By network", "network=203.0.113.0/24", []string{"s3"}},
		{"By one address", "network=198.51.100.7", []string{"s1"}},
		{"By effect", "revocation_effect=eventual", []string{"s3"}},
		{"Seen since", "last_seen_after=" + at(90*time.Minute),
			[]string{"s1"}},
		{"Created before", "created_before=" + at(2*time.Minute),
			[]string{"s1", "s2"}},
		{"Most recently seen first", "sort=-last_seen_at",
			[]string{"s1", "s3", "s5", "s4", "s2"}},
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

	var got []string
	path := "/v1/sessions?sort=-last_seen_at&limit=2"
	for range 5 {
		var page api.SessionPage
		e.get(path, viewer, http.StatusOK, &page)
		got = append(got, sessionIDs(page)...)
		if page.NextCursor == "" {
			break
		}
		path = "/v1/sessions?sort=-last_seen_at&limit=2&cursor=" +
			page.NextCursor
		if strings.Contains(got[len(got)-1], "s3") {
			e.do(http.MethodGet, "/v1/sessions?sort=created_at&cursor="+
				page.NextCursor, viewer, nil).problem(t,
				http.StatusBadRequest, api.ProblemCodeInvalidParameter)
		}
	}
	if want := []string{"s1", "s3", "s5", "s4", "s2"}; !slices.Equal(got, want) {
		t.Fatalf("paged by last seen %q, want %q", got, want)
	}
	for _, q := range []string{"network=10.0.0.0/33", "sort=name",
		"revocation_effect=never", "last_seen_after=yesterday"} {
		e.do(http.MethodGet, "/v1/sessions?"+q, viewer, nil).
			problem(t, http.StatusBadRequest, api.ProblemCodeInvalidParameter)
	}
}

// outbox records a signal that asked to revoke alice's sessions (done)
// and ci-key (held for approval), and locks on alice and on an origin.
func (e *env) outbox() {
	e.t.Helper()
	ctx := e.t.Context()
	rec := store.SignalRecord{ID: "sig-1", DedupKey: "d1", Format: "okta",
		Category: "account_takeover", Severity: "high", Time: t0,
		ReceivedAt: t0, Signal: json.RawMessage(`{"subject":"alice"}`),
		Decision: json.RawMessage(`{"actions":[{"kind":"revoke_sessions"}]}`)}
	as := []store.Action{
		{ID: "act-1", IdempotencyKey: "k1", SignalID: "sig-1",
			Kind: "revoke_sessions", TargetType: "principal",
			TargetID: "alice", Reason: "takeover", State: store.ActionDone,
			PrincipalKind: store.KindHuman, CreatedAt: t0, UpdatedAt: t0},
	}
	_, err := e.st.RecordSignal(ctx, rec, as, nil)
	must(e.t, err)
	rec2 := rec
	rec2.ID, rec2.DedupKey, rec2.Format = "sig-2", "d2", "github"
	rec2.ReceivedAt = t0.Add(time.Minute)
	held := store.Action{ID: "act-2", IdempotencyKey: "k2",
		SignalID: "sig-2", Kind: "revoke_credential",
		TargetType: "credential", TargetID: "ci-key", Reason: "leaked",
		State: store.ActionAwaitingApproval, OnTimeout: store.OnTimeoutDrop,
		ApprovalDeadline: t0.Add(time.Hour),
		PrincipalKind:    store.KindServiceAccount,
		CreatedAt:        t0.Add(time.Minute), UpdatedAt: t0}
	_, err = e.st.RecordSignal(ctx, rec2, []store.Action{held}, nil)
	must(e.t, err)
	for _, l := range []store.Lock{
		{ID: "lck-1", TargetType: "principal", Target: "alice",
			Reason: "INC-1", CreatedBy: "operator:ana", CreatedAt: t0},
		{ID: "lck-2", TargetType: "origin", Target: "203.0.113.0/24",
			Reason: "botnet", CreatedBy: "operator:ana",
			CreatedAt: t0.Add(time.Second)},
		{ID: "lck-3", TargetType: "principal", Target: "ci-bot",
			Reason: "old", CreatedBy: "operator:ana",
			CreatedAt: t0.Add(-2 * day), ExpiresAt: t0.Add(-day)},
	} {
		must(e.t, e.st.PutLock(ctx, l))
	}
}

func TestActionsSignalsAndLocksAreReadInScope(t *testing.T) {
	e := newEnv(t)
	e.fixture()
	e.credentials()
	e.outbox()
	viewer := e.token(api.Viewer, store.TokenScopes{})
	bots := e.token(api.Viewer, store.TokenScopes{
		PrincipalKinds: []store.PrincipalKind{store.KindServiceAccount}})

	var acts api.ActionPage
	e.get("/v1/actions?state=awaiting_approval", viewer, http.StatusOK, &acts)
	if len(acts.Items) != 1 || acts.Items[0].ID != "act-2" ||
		acts.Items[0].Approval.OnTimeout != api.ApprovalOnTimeoutDrop ||
		!acts.Items[0].Approval.Deadline.Equal(t0.Add(time.Hour)) {
		t.Fatalf("held actions %+v", acts.Items)
	}
	e.get("/v1/actions", bots, http.StatusOK, &acts)
	if len(acts.Items) != 1 || acts.Items[0].ID != "act-2" {
		t.Fatalf("service-account token sees actions %+v", acts.Items)
	}
	e.do(http.MethodGet, "/v1/actions/act-1", bots, nil).
		problem(t, http.StatusNotFound, api.ProblemCodeNotFound)

	var sigs api.SignalPage
	e.get("/v1/signals", viewer, http.StatusOK, &sigs)
	if len(sigs.Items) != 2 || sigs.Items[0].ID != "sig-2" ||
		!slices.Equal(sigs.Items[1].ActionIDs, []string{"act-1"}) ||
		string(sigs.Items[1].Decision) != `{"actions":[{"kind":"revoke_sessions"}]}` {
		t.Fatalf("signals %+v", sigs.Items)
	}
	e.get("/v1/signals?format=okta", bots, http.StatusOK, &sigs)
	if len(sigs.Items) != 0 {
		t.Fatalf("service-account token sees alice's signal")
	}
	e.get("/v1/signals/sig-2", bots, http.StatusOK, nil)

	var locks api.LockPage
	e.get("/v1/locks", viewer, http.StatusOK, &locks)
	if ids := lockIDs(locks); !slices.Equal(ids, []string{"lck-1", "lck-2"}) {
		t.Fatalf("locks in force %q", ids)
	}
	e.get("/v1/locks?all=true", bots, http.StatusOK, &locks)
	if ids := lockIDs(locks); !slices.Equal(ids, []string{"lck-3"}) ||
		locks.Items[0].InForce {
		t.Fatalf("service-account token sees locks %+v", locks.Items)
	}
	e.get("/v1/locks?all=true&limit=1", viewer, http.StatusOK, &locks)
	e.get("/v1/locks?all=true&limit=5&cursor="+locks.NextCursor, viewer,
		http.StatusOK, &locks)
	if ids := lockIDs(locks); !slices.Equal(ids, []string{"lck-1", "lck-2"}) {
		t.Fatalf("second page of all locks %q", ids)
	}
}

// lockIDs lists the ids of a page of locks.
func lockIDs(p api.LockPage) []string {
	var out []string
	for _, x := range p.Items {
		out = append(out, x.ID)
	}
	return out
}
