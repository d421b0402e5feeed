package peertest

import (
	"net/http"
	"testing"
)

func TestKratosSessionsComeFromTheNativeLoginFlow(t *testing.T) {
	k := StartKratos(t)
	k.CreateIdentity(t, "ada@example.com", "correct-horse-battery-9")
	s := k.Login(t, "ada@example.com", "correct-horse-battery-9")
	if s.ID == "" || s.Token == "" {
		t.Fatalf("login gave session %q and a token of %d bytes",
			s.ID, len(s.Token))
	}
	if got := k.Whoami(t, s.Token); got != http.StatusOK {
		t.Fatalf("whoami with a fresh session = %d, want 200", got)
	}
	if got := k.Whoami(t, "not-a-token"); got != http.StatusUnauthorized {
		t.Fatalf("whoami with a bad token = %d, want 401", got)
	}
}

func TestHydraIssuesTokensThroughTheCodeFlow(t *testing.T) {
	h := StartHydra(t)
	c := h.CreateClient(t, "demo")
	tok := h.Grant(t, c, "subject-1")
	if !h.Introspect(t, tok.Access) || !h.Introspect(t, tok.Refresh) {
		t.Fatal("fresh tokens are not active")
	}
	if h.Introspect(t, "ory_at_not-a-token") {
		t.Fatal("a made-up token is active")
	}
}
