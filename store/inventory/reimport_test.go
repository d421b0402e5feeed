package inventory_test

import (
	"strings"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/store/inventory"
)

// later is when the file is imported again, a month after now.
var later = now.Add(30 * 24 * time.Hour)

// reimported is full as a nightly export writes it again: no created_at
// on the principals, the credential's exposure unknown to the exporter.
const reimported = `
principals:
  - id: alice
    kind: human
    credentials:
      - {id: alice-aws-key, kind: access_key, store: aws}
    sessions:
      - {id: alice-okta-web, provider: okta, kind: browser}
  - id: ci-bot
    kind: service_account
    status: active
  - id: erin
    kind: human
`

// TestReimportKeepsWhatTheRegistryLearnt imports a file, lets the
// registry learn what the file cannot know (a session and a credential
// revoked, a principal disabled, an exposure), and imports a newer file:
// the import writes the file without undoing any of it. It revived the
// revoked session and credential as active, re-enabled the disabled
// principal, dropped the exposure and reset every creation time to the
// second import, so that enforcement points were told the cut session
// was live again.
func TestReimportKeepsWhatTheRegistryLearnt(t *testing.T) {
	s := openStore(t)
	first, err := inventory.Parse([]byte(strings.Replace(full, "locks:",
		"  - {id: erin, kind: human, created_at: -90d}\nlocks:", 1)),
		"inventory.yaml")
	must(t, err)
	_, err = first.Import(t.Context(), s, now)
	must(t, err)
	rev := store.Revocation{At: now.Add(time.Hour), By: "policy:threat",
		Reason: "takeover", ActionID: "act_1"}
	_, err = s.RevokeSessions(t.Context(),
		store.SessionFilter{IDs: []string{"alice-okta-web"}}, rev)
	must(t, err)
	_, _, err = s.RevokeCredential(t.Context(), "alice-aws-key", rev)
	must(t, err)
	_, err = s.SetPrincipalStatus(t.Context(), "erin", "disabled")
	must(t, err)

	again, err := inventory.Parse([]byte(reimported), "inventory.yaml")
	must(t, err)
	n, err := again.Import(t.Context(), s, later)
	must(t, err)
	want := "3 principals, 0 aliases, 0 credentials, 0 sessions; " +
		"kept as the registry holds them: 1 revoked credential, " +
		"1 revoked session"
	if n.String() != want {
		t.Errorf("counts = %q, want %q", n, want)
	}
	checkRevoked(t, s, rev)
	checkKept(t, s)
}

func checkRevoked(t *testing.T, s store.Store, rev store.Revocation) {
	t.Helper()
	web, err := s.GetSession(t.Context(), "alice-okta-web")
	must(t, err)
	if web.Status != store.StatusRevoked || web.Revocation == nil ||
		*web.Revocation != rev {
		t.Errorf("session = %s %+v, want revoked by %+v", web.Status,
			web.Revocation, rev)
	}
	key, err := s.GetCredential(t.Context(), "alice-aws-key")
	must(t, err)
	if key.Status != store.StatusRevoked || key.Revocation == nil {
		t.Errorf("credential = %s %+v, want revoked", key.Status,
			key.Revocation)
	}
}

func checkKept(t *testing.T, s store.Store) {
	t.Helper()
	erin, err := s.GetPrincipal(t.Context(), "erin")
	must(t, err)
	if erin.Status != "disabled" ||
		!erin.CreatedAt.Equal(now.Add(-90*24*time.Hour)) {
		t.Errorf("erin = %s, created %s; want disabled, created 90 days "+
			"before the first import", erin.Status, erin.CreatedAt)
	}
	bot, err := s.GetPrincipal(t.Context(), "ci-bot")
	must(t, err)
	if bot.Status != store.StatusActive {
		t.Errorf("ci-bot = %s, want active as the file says", bot.Status)
	}
	alice, err := s.GetPrincipal(t.Context(), "alice")
	must(t, err)
	if !alice.CreatedAt.Equal(now) {
		t.Errorf("alice created %s, want %s (the first import)",
			alice.CreatedAt, now)
	}
}

// TestReimportKeepsAnExposureAndACreationTime imports a credential
// again from a file that knows neither when it was made nor that it
// leaked: the registry keeps both, so its age and its days since
// exposure go on counting.
func TestReimportKeepsAnExposureAndACreationTime(t *testing.T) {
	s := openStore(t)
	first, err := inventory.Parse([]byte(full), "inventory.yaml")
	must(t, err)
	_, err = first.Import(t.Context(), s, now)
	must(t, err)
	again, err := inventory.Parse([]byte(reimported), "inventory.yaml")
	must(t, err)
	// A credential revoked is kept whole; here it stays active.
	_, err = again.Import(t.Context(), s, later)
	must(t, err)
	c, err := s.GetCredential(t.Context(), "alice-aws-key")
	must(t, err)
	day := 24 * time.Hour
	switch {
	case c.Status != store.StatusActive:
		t.Errorf("status %s, want active", c.Status)
	case !c.CreatedAt.Equal(now.Add(-400 * day)):
		t.Errorf("created %s, want %s", c.CreatedAt, now.Add(-400*day))
	case c.Exposure == nil || !c.Exposure.At.Equal(now.Add(-3*day)):
		t.Errorf("exposure = %+v, want the one first imported", c.Exposure)
	}
	web, err := s.GetSession(t.Context(), "alice-okta-web")
	must(t, err)
	if !web.CreatedAt.Equal(now.Add(-2 * time.Hour)) {
		t.Errorf("session created %s, want %s", web.CreatedAt,
			now.Add(-2*time.Hour))
	}
}

// TestImportOfAnEarlierExposureKeepsTheEarliest imports an exposure
// earlier than the one the registry holds: the earlier one is kept, as
// an alert's would be (store.Inventory.MarkExposed).
func TestImportOfAnEarlierExposureKeepsTheEarliest(t *testing.T) {
	s := openStore(t)
	first, err := inventory.Parse([]byte(full), "inventory.yaml")
	must(t, err)
	_, err = first.Import(t.Context(), s, now)
	must(t, err)
	earlier, err := inventory.Parse([]byte(`
principals:
  - id: alice
    kind: human
    credentials:
      - id: alice-aws-key
        kind: access_key
        store: aws
        exposure: {at: -10d, source: gitguardian}
`), "inventory.yaml")
	must(t, err)
	_, err = earlier.Import(t.Context(), s, now)
	must(t, err)
	c, err := s.GetCredential(t.Context(), "alice-aws-key")
	must(t, err)
	if c.Exposure == nil || c.Exposure.Source != "gitguardian" {
		t.Errorf("exposure = %+v, want gitguardian's, 10 days ago", c.Exposure)
	}
}
