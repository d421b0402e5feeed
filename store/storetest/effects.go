package storetest

import (
	"testing"

	"github.com/killswitch-dev/killswitch/store"
)

var effectTests = []test{
	{"Every revocation effect of a session reads back",
		sessionEffectRoundTrip},
	{"Every revocation effect of a credential reads back",
		credentialEffectRoundTrip},
	{"An unknown revocation effect of a session is invalid",
		sessionEffectInvalid},
	{"An unknown revocation effect of a credential is invalid",
		credentialEffectInvalid},
	{"Revoking a session keeps its revocation effect",
		sessionEffectAfterRevoke},
	{"Revoking a credential keeps its revocation effect",
		credentialEffectAfterRevoke},
}

// effects are the values a revocation effect may have, unknown included.
var effects = []store.Effect{"", store.EffectImmediate,
	store.EffectEventual, store.EffectAtExpiry}

func sessionEffectRoundTrip(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	for _, e := range effects {
		ses := webSession()
		ses.Effect = e
		putSessions(t, s, ses)
		got, err := s.GetSession(t.Context(), ses.ID)
		must(t, err)
		equal(t, "session with effect "+string(e), got, normalSession(ses))
	}
}

func credentialEffectRoundTrip(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	for _, e := range effects {
		c := awsKey()
		c.Effect = e
		putCredentials(t, s, c)
		got, err := s.GetCredential(t.Context(), c.ID)
		must(t, err)
		equal(t, "credential with effect "+string(e), got,
			normalCredential(c))
	}
}

func sessionEffectInvalid(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	ses := webSession()
	ses.Effect = "soonish"
	wantField(t, s.PutSession(t.Context(), ses), "revocation_effect")
}

func credentialEffectInvalid(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	c := awsKey()
	c.Effect = "Immediate"
	wantField(t, s.PutCredential(t.Context(), c), "revocation_effect")
}

func sessionEffectAfterRevoke(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	ses := webSession()
	ses.Effect = store.EffectAtExpiry
	putSessions(t, s, ses)
	_, err := s.RevokeSessions(t.Context(),
		store.SessionFilter{IDs: []string{ses.ID}},
		store.Revocation{At: base, By: "operator:dana", Reason: "test"})
	must(t, err)
	got, err := s.GetSession(t.Context(), ses.ID)
	must(t, err)
	if got.Status != store.StatusRevoked || got.Effect != ses.Effect {
		t.Fatalf("after revoking: status %q, effect %q; want revoked, %q",
			got.Status, got.Effect, ses.Effect)
	}
}

func credentialEffectAfterRevoke(t *testing.T, s store.Store) {
	addPrincipal(t, s, "alice")
	c := awsKey()
	c.Effect = store.EffectEventual
	putCredentials(t, s, c)
	got, _, err := s.RevokeCredential(t.Context(), c.ID,
		store.Revocation{At: base, By: "operator:dana", Reason: "test"})
	must(t, err)
	if got.Status != store.StatusRevoked || got.Effect != c.Effect {
		t.Fatalf("after revoking: status %q, effect %q; want revoked, %q",
			got.Status, got.Effect, c.Effect)
	}
}
