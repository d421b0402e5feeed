package inventorysync

import (
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/store"
)

// TestSyncKeepsOutWhatALockRefuses lists, for a locked principal, a
// session it already had and a new one: the known one is refreshed, the
// new one stays out of the registry and is counted as locked, and the
// credential the provider lists is kept out too.
func TestSyncKeepsOutWhatALockRefuses(t *testing.T) {
	st := open(t)
	putSession(t, st, "s1", store.StatusActive)
	err := st.PutLock(t.Context(), store.Lock{ID: "lck-ada",
		TargetType: "principal", Target: "ada", Reason: "INC-12",
		CreatedBy: "operator:dana", CreatedAt: time.Now(),
		ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{listings: map[string]connectors.Listing{"ada": {
		SessionsListed:    true,
		Sessions:          []store.Session{session("s1", t0), session("s2", t0)},
		CredentialsListed: true, Credentials: []store.Credential{{
			ExternalID: "key-1", Kind: "api_key", CreatedAt: t0}}}}}
	r := sync(t, New(st, set(t, p), time.Now, discard()), "")[0]
	wantStatus(t, st, map[string]string{"s1": "active"})
	if r.Locked != 2 || r.Added != 0 || r.Refreshed != 1 {
		t.Fatalf("report %+v, want 2 locked, 0 added, 1 refreshed", r)
	}
	cs, err := st.ListCredentials(t.Context(), store.CredentialFilter{
		PrincipalID: "ada"})
	if err != nil || len(cs) != 0 {
		t.Fatalf("credentials %v (%v), want none", cs, err)
	}
}
