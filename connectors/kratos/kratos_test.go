package kratos

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/peertest"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

const password = "correct-horse-battery-9"

// rig is a real Kratos with one identity, ada, logged in twice.
type rig struct {
	k        *peertest.Kratos
	c        *Connector
	identity string
	sessions []peertest.Session
}

func newRig(t *testing.T) *rig {
	t.Helper()
	k := peertest.StartKratos(t)
	r := &rig{k: k, c: connect(t, k.AdminURL, 0),
		identity: k.CreateIdentity(t, "ada@example.com", password)}
	for range 2 {
		r.sessions = append(r.sessions, k.Login(t, "ada@example.com", password))
	}
	return r
}

func connect(t *testing.T, base string, pageSize int) *Connector {
	t.Helper()
	c, err := New("kratos", "kratos", Config{HTTP: restclient.Config{BaseURL: base},
		PageSize: pageSize}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var ada = store.Principal{ID: "ada", Kind: store.KindHuman}

func byEmail(email string) []store.Alias {
	return []store.Alias{{Type: "email", Value: email, PrincipalID: "ada"}}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestListingFindsTheIdentityByEmail(t *testing.T) {
	r := newRig(t)
	l, err := r.c.List(ctx(t), ada, byEmail("ada@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if !l.SessionsListed || len(l.Sessions) != 2 {
		t.Fatalf("listing %+v, want both of ada's sessions", l)
	}
	for _, s := range l.Sessions {
		if s.ExternalID == "" || s.CreatedAt.IsZero() ||
			!s.ExpiresAt.After(time.Now()) || s.Effect != store.EffectImmediate {
			t.Fatalf("session %+v lacks its id, times or effect", s)
		}
	}
	want := store.Alias{Type: DefaultIdentityAlias, Value: r.identity}
	if len(l.Aliases) != 1 || l.Aliases[0] != want {
		t.Fatalf("aliases %+v, want %+v", l.Aliases, want)
	}
}

func TestListingAnUnknownPrincipalEndsNothing(t *testing.T) {
	r := newRig(t)
	l, err := r.c.List(ctx(t), ada, byEmail("nobody@example.com"))
	if err != nil || l.SessionsListed || len(l.Sessions) > 0 {
		t.Fatalf("listing %+v, %v; want nothing listed", l, err)
	}
}

func TestRevokingAtTheRealKratos(t *testing.T) {
	cases := []struct {
		name   string
		req    func(r *rig) connectors.Request
		killed []int
	}{
		{"Disabling one session ends that one only",
			func(r *rig) connectors.Request {
				return sessionReq(r.sessions[0].ID)
			}, []int{0}},
		{"Deleting all sessions of the identity ends every one",
			func(*rig) connectors.Request {
				return connectors.Request{Op: connectors.OpRevokeSession,
					Principal: ada, Session: &store.Session{},
					Aliases: byEmail("ada@example.com")}
			}, []int{0, 1}},
		{"Deactivating the identity ends every session",
			func(*rig) connectors.Request {
				return connectors.Request{Op: connectors.OpDisablePrincipal,
					Principal: ada, Aliases: byEmail("ada@example.com")}
			}, []int{0, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			req := tc.req(r)
			first, second := r.c.Revoke(ctx(t), req), r.c.Revoke(ctx(t), req)
			if !first.Succeeded() || !second.Succeeded() {
				t.Fatalf("first %s, second %s; want both to succeed", first, second)
			}
			r.wantKilled(t, tc.killed)
			if v := r.c.Verify(ctx(t), req); v.Check != connectors.Confirmed {
				t.Fatalf("verification %+v, want confirmed", v)
			}
		})
	}
}

// wantKilled checks, through Kratos's public whoami, that exactly the
// sessions at those indexes no longer work.
func (r *rig) wantKilled(t *testing.T, killed []int) {
	t.Helper()
	for i, s := range r.sessions {
		want := http.StatusOK
		for _, k := range killed {
			if k == i {
				want = http.StatusUnauthorized
			}
		}
		if got := r.k.Whoami(t, s.Token); got != want {
			t.Fatalf("whoami of session %d = %d, want %d", i, got, want)
		}
	}
}

func sessionReq(id string) connectors.Request {
	return connectors.Request{Op: connectors.OpRevokeSession, Principal: ada,
		Session: &store.Session{ExternalID: id, Provider: "kratos"}}
}

func TestAStillActiveSessionFailsVerification(t *testing.T) {
	r := newRig(t)
	v := r.c.Verify(ctx(t), sessionReq(r.sessions[0].ID))
	if v.Check != connectors.Failed || v.Evidence == "" {
		t.Fatalf("verification of a live session %+v, want failed with evidence", v)
	}
}

func TestAnAliasNamingNoIdentityIsPermanent(t *testing.T) {
	r := newRig(t)
	req := connectors.Request{Op: connectors.OpRevokeSession, Principal: ada,
		Session: &store.Session{}, Aliases: []store.Alias{{
			Type:  DefaultIdentityAlias,
			Value: "00000000-0000-4000-8000-000000000000"}}}
	if res := r.c.Revoke(ctx(t), req); res.Outcome != connectors.Permanent {
		t.Fatalf("revoking for an unknown identity: %s, want permanent", res)
	}
}
