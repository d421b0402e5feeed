package console

import (
	"context"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/store"
)

// Text from alerts and providers reaches pages; html/template escapes its
// markup, but a bidirectional override in a user agent reversed what
// followed it on the principal page, and a terminal escape or a
// zero-width joiner hid in a copied value.
func TestAPageShowsInvisibleCharactersRatherThanObeyingThem(t *testing.T) {
	f := newFixture(t, nil)
	ua := "Mozilla/5.0 \u202egpj.exe\u202c \x1b]0;owned\x07 ali\u200dce"
	err := f.st.PutSession(context.Background(), store.Session{
		ID: "alice-odd", PrincipalID: "alice", Provider: "okta",
		Kind: "browser", CreatedAt: f.now, LastSeenAt: f.now,
		Origin: store.Origin{UserAgent: ua, Device: "pc\xffname"}})
	if err != nil {
		t.Fatal(err)
	}
	_, body := f.signedIn(f.viewer).get("/principals/alice")
	for _, raw := range []string{"\u202e", "\u202c", "\x1b", "\x07", "\u200d", "\xff"} {
		if strings.Contains(body, raw) {
			t.Errorf("the page holds %q as it came", raw)
		}
	}
	wantIn(t, body, `Mozilla/5.0 \u202egpj.exe\u202c \u001b]0;owned\u0007 ali\u200dce`,
		`pc\ufffdname`)
}

func TestShownKeepsOrdinaryTextAsItIs(t *testing.T) {
	page := "<p>Zoë — naïve café · 東京 ✓\n\tend\r\n</p>"
	if got := string(shown([]byte(page))); got != page {
		t.Fatalf("shown(%q) = %q", page, got)
	}
}
