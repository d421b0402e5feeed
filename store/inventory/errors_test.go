package inventory_test

import (
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/store/inventory"
)

// secret is a stand-in secret that must never appear in an error.
const secret = "hunter2-DO-NOT-ECHO"

// one is a valid principal that error cases add to.
const one = `
principals:
  - id: alice
    kind: human
`

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string
	}{
		{"A session naming a credential not in the file", one + `
    sessions: [{id: s1, provider: okta, kind: browser, credential: x}]`,
			[]string{`inventory.yaml: principals[0].sessions[0].credential: ` +
				`no credential "x" in this file`}},
		{"An unknown principal kind", `
principals: [{id: r2, kind: robot}]`,
			[]string{`principals[0].kind: unknown kind "robot" (want one of ` +
				`human, service_account, api_client, agent, workload)`}},
		{"An unknown credential kind", one + `
    credentials: [{id: c1, kind: passphrase, store: okta}]`,
			[]string{`principals[0].credentials[0].kind: unknown kind ` +
				`"passphrase"`}},
		{"An unknown session kind", one + `
    sessions: [{id: s1, provider: okta, kind: telepathy}]`,
			[]string{`principals[0].sessions[0].kind: unknown kind "telepathy"`}},
		{"An unknown status", one + `
    status: deleted`,
			[]string{`principals[0].status: unknown status "deleted"`}},
		{"A duplicate principal id", one + `
  - {id: alice, kind: agent}`,
			[]string{`principals[1].id: duplicate principal id "alice" ` +
				`(first at principals[0].id)`}},
		{"A credential id used by two principals", `
principals:
  - {id: a, kind: human, credentials: [{id: k, kind: token, store: x}]}
  - {id: b, kind: human, credentials: [{id: k, kind: token, store: x}]}`,
			[]string{`principals[1].credentials[0].id: duplicate credential ` +
				`id "k" (first at principals[0].credentials[0].id)`}},
		{"A duplicate session id", one + `
    sessions:
      - {id: s1, provider: okta, kind: browser}
      - {id: s1, provider: okta, kind: browser}`,
			[]string{`principals[0].sessions[1].id: duplicate session id "s1"`}},
		{"A time that is neither RFC 3339 nor an offset", one + `
    credentials:
      - {id: c0, kind: token, store: x}
      - {id: c1, kind: token, store: x, created_at: yesterday}`,
			[]string{`inventory.yaml: principals[0].credentials[1].created_at: ` +
				`not an RFC 3339 time or offset ("yesterday")`}},
		{"An offset without a sign", one + `
    created_at: 30d`,
			[]string{`principals[0].created_at: not an RFC 3339 time or ` +
				`offset ("30d")`}},
		{"An offset past 200 years", one + `
    created_at: -99999w`,
			[]string{`principals[0].created_at: offset "-99999w" is more ` +
				`than 200 years`}},
		{"A record without an id", `
principals: [{kind: human}]`,
			[]string{`principals[0].id: required`}},
		{"A credential without a store", one + `
    credentials: [{id: c1, kind: token}]`,
			[]string{`principals[0].credentials[0].store: required`}},
		{"An exposure without a time or source", one + `
    credentials: [{id: c1, kind: token, store: x, exposure: {where: gist}}]`,
			[]string{`principals[0].credentials[0].exposure.at: required`,
				`principals[0].credentials[0].exposure.source: required`}},
		{"An alias without a value", one + `
    aliases: [{type: email}]`,
			[]string{`principals[0].aliases[0].value: required`}},
		{"An alias naming two credentials of one principal", one + `
    credentials:
      - {id: c1, kind: token, store: x, aliases: [{type: key_id, value: k}]}
      - {id: c2, kind: token, store: x, aliases: [{type: key_id, value: k}]}`,
			[]string{`principals[0].credentials[1].aliases[0]: alias key_id ` +
				`"k" names another credential of "alice"`}},
		{"A lock on an unknown kind of target", one + `
locks: [{id: l1, target_type: planet, target: mars}]`,
			[]string{`locks[0].target_type: unknown target type "planet"`}},
		{"A lock without an id", one + `
locks: [{target_type: principal, target: alice}]`,
			[]string{`locks[0].id: required`}},
		{"An unknown field", one + `
    colour: blue`,
			[]string{`inventory.yaml: principals[0].colour: unknown field`}},
		{"A field of the wrong type", one + `
    break_glass: [yes]`,
			[]string{`inventory.yaml: principals.break_glass: want bool, ` +
				`not array`}},
		{"YAML that does not parse", `principals: [`,
			[]string{`inventory.yaml: not valid YAML or JSON: `, `line 1`}},
		{"Several problems are all reported", `
principals:
  - {id: a, kind: robot}
  - {id: b, kind: human, created_at: soon}`,
			[]string{`principals[0].kind: unknown kind "robot"`,
				`principals[1].created_at: not an RFC 3339 time or offset`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parseFails(t, c.yaml, c.want...)
		})
	}
}

func TestParseRefusesSecrets(t *testing.T) {
	cases := []struct{ name, yaml, where string }{
		{"A secret on a credential", one + `
    credentials: [{id: c1, kind: api_key, store: x, secret: ` + secret + `}]`,
			"principals[0].credentials[0].secret"},
		{"A password on a credential", one + `
    credentials: [{id: c1, kind: password, store: x, password: ` + secret + `}]`,
			"principals[0].credentials[0].password"},
		{"A value on a credential", one + `
    credentials: [{id: c1, kind: token, store: x, value: ` + secret + `}]`,
			"principals[0].credentials[0].value"},
		{"A token on a session", one + `
    sessions: [{id: s1, provider: okta, kind: token, token: ` + secret + `}]`,
			"principals[0].sessions[0].token"},
		{"A password on a principal", one + `
    password: ` + secret,
			"principals[0].password"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parseFails(t, c.yaml, "inventory.yaml: "+c.where+
				": a raw secret is not accepted")
		})
	}
}

// parseFails checks that parsing doc fails with every one of want in
// the error, and without the secret.
func parseFails(t *testing.T, doc string, want ...string) {
	t.Helper()
	f, err := inventory.Parse([]byte(doc), "inventory.yaml")
	if err == nil {
		t.Fatalf("parsed: %+v", f)
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q\ndoes not contain %q", msg, w)
		}
	}
	if strings.Contains(msg, secret) {
		t.Errorf("error repeats the secret: %q", msg)
	}
}
