package engine

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/store"
)

// A bad Okta event: recognised as Okta, but its time is not a time.
const badOkta = `{"uuid": "0b0e7c52-0000-4000-8000-000000000001",
 "published": "yesterday", "eventType": "user.session.start",
 "severity": "INFO", "actor": {"id": "00uEXAMPLE1234567890",
 "type": "User", "alternateId": "john.doe@example.com"}}`

func TestEndToEndOnCorpusAlerts(t *testing.T) {
	requireCorpus(t)
	r := newRig(t, "testdata/corpus-inventory.yaml", nil)
	r.start()
	msgs := [][2][]byte{
		{[]byte("joe"), readCorpus(t, "caep-risc/risc-credential-compromise-password.json")},
		{[]byte("jane"), readCorpus(t, "caep-risc/caep-session-revoked-session-id.json")},
		{[]byte("billing"), readCorpus(t, "gitguardian/incident-triggered-generic-password.json")},
		{[]byte("john"), readCorpus(t, "okta/user-session-start.json")},
		{[]byte("john"), []byte(badOkta)},
		{[]byte("hijacked"), readCorpus(t, "caep-risc/risc-account-disabled-hijacking.json")},
		{[]byte("billing"), readCorpus(t, "gitguardian/incident-resolved-aws-keys-revoked.json")},
		// The same alert again: at-least-once delivery must revoke once.
		{[]byte("joe"), readCorpus(t, "caep-risc/risc-credential-compromise-password.json")},
	}
	r.send(msgs...)
	r.waitFor("every message processed and every action run",
		func() bool { return r.settled(len(msgs)) })
	r.stop()

	t.Run("exactly the named sessions are revoked", func(t *testing.T) {
		assertSessions(t, r.store, store.StatusRevoked, []string{
			"billing-db-1", "hijacked-web", "jane-sso", "joe-api", "joe-web"})
		assertSessions(t, r.store, store.StatusActive, []string{
			"billing-api-1", "jane-other", "john-okta"})
	})
	t.Run("exactly the named credentials are revoked", func(t *testing.T) {
		creds, err := r.store.ListCredentials(context.Background(),
			store.CredentialFilter{Status: store.StatusRevoked})
		if err != nil {
			t.Fatal(err)
		}
		got := credentialIDs(creds)
		want := []string{"billing-db-password", "joe-password"}
		if !slices.Equal(got, want) {
			t.Fatalf("revoked credentials = %v, want %v", got, want)
		}
	})
	t.Run("each revocation says which signal and policy did it", func(t *testing.T) {
		s, err := r.store.GetSession(context.Background(), "jane-sso")
		if err != nil {
			t.Fatal(err)
		}
		rev := s.Revocation
		if rev == nil || rev.SignalID == "" || rev.ActionID == "" ||
			!strings.HasPrefix(rev.By, "policy:") || rev.Reason == "" {
			t.Fatalf("jane-sso revocation = %+v, want signal, action, policy and reason", rev)
		}
	})
	t.Run("the duplicate alert did nothing again", func(t *testing.T) {
		dups := 0
		for _, rep := range r.reports {
			if rep.Outcome.Duplicate {
				dups++
			}
		}
		if dups != 1 {
			t.Fatalf("%d duplicate reports, want 1", dups)
		}
		assertAuditCount(t, r.store, EventSessionRevoked, 5)
		assertAuditCount(t, r.store, EventCredentialRevoked, 2)
		assertAuditCount(t, r.store, EventSignalDecided, 6)
	})
	t.Run("the malformed alert is on the DLQ with its reason", func(t *testing.T) {
		dlq := r.readAll(DefaultDLQTopic)
		if len(dlq) != 1 {
			t.Fatalf("%d DLQ messages, want 1", len(dlq))
		}
		reason := headerValue(dlq[0], HeaderError)
		want := `signal okta: published: not an RFC 3339 time ("yesterday")`
		if !strings.Contains(reason, want) {
			t.Fatalf("DLQ reason = %q, want it to contain %q", reason, want)
		}
		if got := headerValue(dlq[0], HeaderErrorCode); got != CodeDecodeError {
			t.Fatalf("DLQ code = %q, want %q", got, CodeDecodeError)
		}
		assertAuditCount(t, r.store, EventSignalDeadLetter, 1)
	})
	t.Run("every offset is committed, none past the end", func(t *testing.T) {
		committed, end := r.committed(DefaultAlertsTopic), r.endOffsets(DefaultAlertsTopic)
		for p, e := range end {
			if e > 0 && committed[p] != e {
				t.Errorf("partition %d: committed %d, end %d", p, committed[p], e)
			}
		}
	})
	t.Run("revocations are published for enforcement points", func(t *testing.T) {
		events := r.readAll(DefaultRevocationsTopic)
		if len(events) < 5+2 {
			t.Fatalf("%d revocation events, want at least 7", len(events))
		}
	})
	t.Run("the audit chain verifies", func(t *testing.T) {
		entries, err := r.store.ListAudit(context.Background(), store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.VerifyChain(entries, store.GenesisHash, 0); err != nil {
			t.Fatal(err)
		}
	})
}

func assertSessions(t *testing.T, st store.Store, status string, want []string) {
	t.Helper()
	ss, err := st.ListSessions(context.Background(), store.SessionFilter{Status: status})
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, 0, len(ss))
	for _, s := range ss {
		got = append(got, s.ID)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("%s sessions = %v, want %v", status, got, want)
	}
}

func credentialIDs(cs []store.Credential) []string {
	ids := make([]string, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	return ids
}

func assertAuditCount(t *testing.T, st store.Store, event string, want int) {
	t.Helper()
	entries, err := st.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Event == event {
			n++
		}
	}
	if n != want {
		t.Fatalf("%d %q audit entries, want %d", n, event, want)
	}
}
