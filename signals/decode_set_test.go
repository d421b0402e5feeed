package signals_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/killswitch-dev/killswitch/signals"
)

const (
	caepURI = "https://schemas.openid.net/secevent/caep/event-type/"
	riscURI = "https://schemas.openid.net/secevent/risc/event-type/"
)

// setToken writes SET claims with one event and a subject identifier.
func setToken(t *testing.T, uri string, event, subID map[string]any) string {
	t.Helper()
	doc := map[string]any{
		"iss": "https://idp.example.com/", "jti": "j1",
		"iat": 1796038800, "events": map[string]any{uri: event},
	}
	if subID != nil {
		doc["sub_id"] = subID
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

var emailID = map[string]any{"format": "email", "email": "ivy@example.com"}

func TestSETEventTypesMapToCategoryAndSeverity(t *testing.T) {
	tests := []struct {
		name     string
		uri      string
		event    map[string]any
		format   signals.Format
		category signals.Category
		severity signals.Severity
	}{
		{"A created credential is info", caepURI + "credential-change",
			map[string]any{"change_type": "create"}, signals.FormatCAEP,
			signals.CategoryCredentialChange, signals.SeverityInfo},
		{"An updated credential is low", caepURI + "credential-change",
			map[string]any{"change_type": "update"}, signals.FormatCAEP,
			signals.CategoryCredentialChange, signals.SeverityLow},
		{"A revoked credential is medium", caepURI + "credential-change",
			map[string]any{"change_type": "revoke"}, signals.FormatCAEP,
			signals.CategoryCredentialChange, signals.SeverityMedium},
		{"A deleted credential is medium", caepURI + "credential-change",
			map[string]any{"change_type": "delete"}, signals.FormatCAEP,
			signals.CategoryCredentialChange, signals.SeverityMedium},
		{"A claims change is other", caepURI + "token-claims-change",
			map[string]any{}, signals.FormatCAEP,
			signals.CategoryOther, signals.SeverityInfo},
		{"A disabled account without hijacking is high",
			riscURI + "account-disabled", map[string]any{"reason": "bulk-account"},
			signals.FormatRISC, signals.CategoryAccountDisabled, signals.SeverityHigh},
		{"A purged account is disabled", riscURI + "account-purged",
			map[string]any{}, signals.FormatRISC,
			signals.CategoryAccountDisabled, signals.SeverityHigh},
		{"RISC sessions revoked", riscURI + "sessions-revoked",
			map[string]any{}, signals.FormatRISC,
			signals.CategorySessionRevoked, signals.SeverityHigh},
		{"An enabled account is other", riscURI + "account-enabled",
			map[string]any{}, signals.FormatRISC,
			signals.CategoryOther, signals.SeverityInfo},
		{"An http URI of an early transmitter",
			"http://schemas.openid.net/secevent/risc/event-type/credential-compromise",
			map[string]any{}, signals.FormatRISC,
			signals.CategoryCredentialCompromise, signals.SeverityCritical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeJSON(t, setToken(t, tt.uri, tt.event, emailID))
			got := []string{string(s.Format), string(s.Category),
				string(s.Severity), s.Type}
			want := []string{string(tt.format), string(tt.category),
				string(tt.severity), tt.uri}
			if !slices.Equal(got, want) {
				t.Errorf("format, category, severity, type = %q, want %q",
					got, want)
			}
		})
	}
}

func TestSETSubjectIdentifierFormats(t *testing.T) {
	revoked := caepURI + "session-revoked"
	changed := caepURI + "credential-change"
	tests := []struct {
		name  string
		uri   string
		subID map[string]any
		want  []signals.Subject
	}{
		{"A phone number names no one", changed,
			map[string]any{"format": "phone_number", "phone_number": "+1555"},
			nil},
		{"An opaque id outside session-revoked is a user", changed,
			map[string]any{"format": "opaque", "id": "u-9"},
			[]signals.Subject{sub(userID, "u-9", target)}},
		{"An account URI is an e-mail", changed,
			map[string]any{"format": "account", "uri": "acct:ivy@example.com"},
			[]signals.Subject{sub(email, "ivy@example.com", target)}},
		{"A DID is a user id", changed,
			map[string]any{"format": "did", "url": "did:example:123"},
			[]signals.Subject{sub(userID, "did:example:123", target)}},
		{"A URI is a user id", changed,
			map[string]any{"format": "uri", "uri": "https://ex.com/u/1"},
			[]signals.Subject{sub(userID, "https://ex.com/u/1", target)}},
		{"Aliases give each identifier", changed,
			map[string]any{"format": "aliases", "identifiers": []any{
				emailID, map[string]any{"format": "opaque", "id": "u-9"}}},
			[]signals.Subject{sub(email, "ivy@example.com", target),
				sub(userID, "u-9", target)}},
		{"A complex subject gives user, session and device", revoked,
			map[string]any{"format": "complex", "user": emailID,
				"session": map[string]any{"format": "opaque", "id": "s-1"},
				"device": map[string]any{"format": "iss_sub",
					"iss": "https://idp.example.com/", "sub": "dev-7"},
				"tenant": map[string]any{"format": "opaque", "id": "t-1"}},
			[]signals.Subject{sub(email, "ivy@example.com", target),
				sub(session, "s-1", target), sub(device, "dev-7", target)}},
		{"An opaque user of a revoked session is a user, not a session", revoked,
			map[string]any{"format": "complex",
				"user":    map[string]any{"format": "opaque", "id": "deploy-bot"},
				"session": map[string]any{"format": "opaque", "id": "s-1"}},
			[]signals.Subject{sub(userID, "deploy-bot", target),
				sub(session, "s-1", target)}},
		{"A complex subject of a draft before SSF 1.0 has no format", revoked,
			map[string]any{"user": emailID,
				"session": map[string]any{"format": "opaque", "id": "s-1"}},
			[]signals.Subject{sub(email, "ivy@example.com", target),
				sub(session, "s-1", target)}},
		{"An opaque subject of session-revoked is the session", revoked,
			map[string]any{"format": "opaque", "id": "s-1"},
			[]signals.Subject{sub(session, "s-1", target)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeJSON(t, setToken(t, tt.uri, map[string]any{}, tt.subID))
			if !slices.Equal(s.Subjects, tt.want) {
				t.Errorf("subjects = %v, want %v", s.Subjects, tt.want)
			}
		})
	}
}

func TestSETTenantIsAnAttributeNotASubject(t *testing.T) {
	s := decodeJSON(t, setToken(t, caepURI+"session-revoked", map[string]any{},
		map[string]any{"format": "complex",
			"tenant": map[string]any{"format": "opaque", "id": "t-1"}}))
	if s.Attributes["tenant"] != "t-1" || len(s.Subjects) != 0 {
		t.Errorf("tenant %v, subjects %v", s.Attributes["tenant"], s.Subjects)
	}
}

func TestSETSubjectInsideTheEventOfAnEarlyDraft(t *testing.T) {
	event := map[string]any{"subject": map[string]any{
		"subject_type": "iss-sub", "iss": "https://idp.example.com/",
		"sub": "kim@example.com"}}
	s := decodeJSON(t, setToken(t, riscURI+"sessions-revoked", event, nil))
	want := []signals.Subject{sub(userID, "kim@example.com", target),
		sub(email, "kim@example.com", target)}
	if !slices.Equal(s.Subjects, want) {
		t.Errorf("subjects = %v, want %v", s.Subjects, want)
	}
}

func TestSETTimeAndErrors(t *testing.T) {
	s := decodeJSON(t, setToken(t, riscURI+"account-purged",
		map[string]any{}, emailID))
	if s.Time.Unix() != 1796038800 {
		t.Errorf("time %s, want iat", s.Time)
	}
	tests := []struct {
		name, payload, want string
	}{
		{"A bad event timestamp", setToken(t, caepURI+"session-revoked",
			map[string]any{"event_timestamp": "noon"}, emailID),
			`signal caep: events[session-revoked].event_timestamp: ` +
				`not an epoch number ("noon")`},
		{"No time at all", withFields(t, setToken(t, riscURI+"account-purged",
			map[string]any{}, emailID), map[string]any{"iat": nil}),
			"signal risc: iat: missing"},
		{"Two events of one family", `{"iss": "i", "jti": "j", "iat": 1,
			"events": {"` + riscURI + `account-purged": {},
			"` + riscURI + `account-disabled": {}}}`,
			`signal risc: events: more than one event type ` +
				`("account-disabled, account-purged")`},
		{"Events of both families", `{"iss": "i", "jti": "j", "iat": 1,
			"events": {"` + caepURI + `session-revoked": {},
			"` + riscURI + `account-disabled": {}}}`,
			`signal caep: events: more than one event type ` +
				`("account-disabled, session-revoked")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signals.Decode([]byte(tt.payload))
			var fe *signals.FieldError
			if !errors.As(err, &fe) || err.Error() != tt.want {
				t.Errorf("error = %v\n         want %s", err, tt.want)
			}
		})
	}
}

func TestSETWithoutIssuerOrKnownEventIsUnknown(t *testing.T) {
	for _, payload := range []string{
		`{"jti": "j", "iat": 1, "events": {"` + riscURI + `account-purged": {}}}`,
		`{"iss": "i", "jti": "j", "iat": 1,
		  "events": {"https://example.com/event/custom": {}}}`,
	} {
		if _, err := signals.Decode([]byte(payload)); !errors.Is(err,
			signals.ErrUnknownFormat) {
			t.Errorf("%s: error %v, want ErrUnknownFormat", payload, err)
		}
	}
}

// A SET whose subject identifier could not be read (none at all, a
// format misspelt, its value member missing) was taken naming no one,
// so an IdP's session-revoked event was dropped without a word.
func TestSETSubjectThatCannotBeReadIsRefusedNamingWhere(t *testing.T) {
	revoked := caepURI + "session-revoked"
	tests := []struct {
		name  string
		subID any
		want  string
	}{
		{"No subject at all", nil, "signal caep: sub_id: missing: " +
			"a SET names its subject (RFC 9493)"},
		{"A subject that is a bare string", "ivy@example.com",
			`signal caep: sub_id: not a subject identifier object ` +
				`("ivy@example.com")`},
		{"No format", map[string]any{"email": "ivy@example.com"},
			"signal caep: sub_id.format: missing"},
		{"A format misspelt", map[string]any{"format": "emial",
			"email": "ivy@example.com"}, `signal caep: sub_id.format: not ` +
			`a subject identifier format (one of account, aliases, ` +
			`complex, did, email, iss_sub, jwt_id, opaque, phone_number, ` +
			`saml_assertion_id, uri) ("emial")`},
		{"An e-mail identifier without its e-mail",
			map[string]any{"format": "email", "mail": "ivy@example.com"},
			"signal caep: sub_id.email: missing: format email " +
				"carries its value there"},
		{"An iss_sub without its sub", map[string]any{"format": "iss_sub",
			"iss": "https://idp.example.com/"}, "signal caep: sub_id.sub: " +
			"missing: format iss_sub carries its value there"},
		{"Aliases with no identifier", map[string]any{"format": "aliases",
			"identifiers": []any{}}, "signal caep: sub_id.identifiers: " +
			"missing or not a list of identifiers"},
		{"Aliases with a bad one", map[string]any{"format": "aliases",
			"identifiers": []any{emailID, map[string]any{"format": "opaque"}}},
			"signal caep: sub_id.identifiers[1].id: missing: format " +
				"opaque carries its value there"},
		{"A complex subject with no member", map[string]any{
			"format": "complex"}, "signal caep: sub_id: a complex " +
			"identifier with none of application, device, group, " +
			"org_unit, session, tenant, user"},
		{"A complex subject's bad user", map[string]any{"format": "complex",
			"user": map[string]any{"format": "opaque", "id": ""}},
			"signal caep: sub_id.user.id: missing: format opaque " +
				"carries its value there"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := map[string]any{"iss": "https://idp.example.com/",
				"jti": "j1", "iat": 1796038800,
				"events": map[string]any{revoked: map[string]any{}}}
			if tt.subID != nil {
				doc["sub_id"] = tt.subID
			}
			payload, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			_, err = signals.Decode(payload)
			var fe *signals.FieldError
			if !errors.As(err, &fe) || err.Error() != tt.want {
				t.Errorf("error = %v\n         want %s", err, tt.want)
			}
		})
	}
}
