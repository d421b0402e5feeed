package rules

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

// realisticInput is a CloudTrail call by a service account with a key
// exposed ten days ago, from a new network, with the person who owns it
// named too: 2 principals, 24 sessions, 7 credentials. Several scenarios
// fire (exposed and still valid, new network) and the rest are looked at.
func realisticInput() Input {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	sig := signals.Signal{Format: signals.FormatCloudTrail,
		Category: signals.CategoryAPIActivity, Type: "GetSecretValue",
		Severity: signals.SeverityInfo, Time: now, DedupKey: "cloudtrail:bench",
		Subjects: []signals.Subject{
			{Type: signals.SubjectARN, Value: "arn:aws:iam::1:user/deploy-bot", Role: signals.RoleActor},
			{Type: signals.SubjectAccessKeyID, Value: "AKIABENCH", Role: signals.RoleCredential},
			{Type: signals.SubjectEmail, Value: "alice@example.com", Role: signals.RoleTarget},
			{Type: signals.SubjectIP, Value: "198.51.100.66", Role: signals.RoleSource}},
		Summary:    "secretsmanager.amazonaws.com GetSecretValue by deploy-bot: success",
		Attributes: map[string]any{"event_source": "secretsmanager.amazonaws.com", "outcome": "success"}}
	in := Input{Signal: sig, Now: now, Locks: []store.Lock{}, Unresolved: []signals.Subject{}}
	in.Principals = []Principal{
		{Principal: store.Principal{ID: "deploy-bot", Kind: store.KindServiceAccount,
			DisplayName: "deploy pipeline", Status: "active"}, MatchedBy: sig.Subjects[:2]},
		{Principal: store.Principal{ID: "alice", Kind: store.KindHuman,
			DisplayName: "Alice", Status: "active"}, MatchedBy: sig.Subjects[2:3]}}
	for i := range 24 {
		owner := []string{"deploy-bot", "alice"}[i%2]
		in.Sessions = append(in.Sessions, store.Session{
			ID: fmt.Sprintf("s-%d", i), PrincipalID: owner, Provider: "okta",
			Kind: "browser", Status: store.StatusActive, CreatedAt: now.Add(-time.Hour),
			CredentialID: fmt.Sprintf("%s-c%d", owner, i%3),
			Origin:       store.Origin{IP: fmt.Sprintf("203.0.113.%d", i), Country: "US"}})
	}
	for i := range 7 {
		owner := []string{"deploy-bot", "alice"}[i%2]
		c := Credential{Credential: store.Credential{ID: fmt.Sprintf("%s-c%d", owner, i/2),
			PrincipalID: owner, Kind: "access_key", Store: "aws", Status: "active",
			CreatedAt: now.AddDate(0, 0, -40)}, AgeDays: 40, DaysSinceExposure: -1}
		if i == 0 {
			c.MatchedBy, c.DaysSinceExposure = sig.Subjects[1:2], 10
		}
		in.Credentials = append(in.Credentials, c)
	}
	return in
}

// BenchmarkShippedDecision measures decisions per second for the shipped
// library on realisticInput passed to OPA as an ast.Value (converted
// once), and with the conversion from Input counted (as Evaluate does).
func BenchmarkShippedDecision(b *testing.B) {
	ps := loadBench(b, os.DirFS("../policies"))
	benchDecisions(b, ps)
}

// BenchmarkTenfoldRules is BenchmarkShippedDecision with ten times the
// scenario rules: nine copies of every scenario file, each rule and
// function renamed, all of them contributing candidate actions. Every
// copy does its scenario's full work, so this is the worst case of a
// library ten times the size.
func BenchmarkTenfoldRules(b *testing.B) {
	ps := loadBench(b, tenfold(b, os.DirFS("../policies")))
	benchDecisions(b, ps)
}

func benchDecisions(b *testing.B, ps *PolicySet) {
	in := realisticInput()
	d, err := ps.Evaluate(context.Background(), in)
	if err != nil || len(d.Actions) < 3 {
		b.Fatalf("Evaluate = %+v, %v; want several actions", d, err)
	}
	b.Logf("%d rules, %d actions decided", ruleCount(ps), len(d.Actions))
	b.Run("ast_value", func(b *testing.B) {
		value, err := inputValue(&in)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			rs, err := ps.evalValue(b.Context(), ps.response, value, in.Now, nil)
			if err == nil {
				_, err = ps.decide(ps.response, rs, &in)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
	})
	b.Run("from_input", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ps.Evaluate(b.Context(), in); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
	})
}

func loadBench(b *testing.B, fsys fs.FS) *PolicySet {
	b.Helper()
	ps, err := Load(context.Background(), fsys)
	if err != nil {
		b.Fatalf("load: %v", err)
	}
	return ps
}

func ruleCount(ps *PolicySet) int {
	n := 0
	for _, m := range ps.modules {
		n += len(m.Rules)
	}
	return n
}

// shared are the rules every scenario adds to, kept as they are in the
// copies.
var shared = map[string]bool{"candidate_actions": true,
	"scenario_severity": true, "specific_threats": true}

// tenfold is fsys with nine renamed copies of each scenario file.
func tenfold(b *testing.B, fsys fs.FS) fs.FS {
	b.Helper()
	out := fstest.MapFS{}
	names, err := fs.Glob(fsys, "*")
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range names {
		if !strings.HasSuffix(name, ".rego") && !IsDataFile(name) {
			continue
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			b.Fatal(err)
		}
		out[name] = &fstest.MapFile{Data: src}
		if !strings.HasSuffix(name, ".rego") || isTestFile(name) ||
			name == "main.rego" || name == "sweep.rego" {
			continue
		}
		for k := 1; k <= 9; k++ {
			copyName := fmt.Sprintf("copy%d_%s", k, name)
			out[copyName] = &fstest.MapFile{Data: []byte(renamed(b, name, string(src), k))}
		}
	}
	return out
}

// renamed renames every rule and function the file defines (but the
// shared ones) to <name>_c<k>, where it is not a field or a string.
func renamed(b *testing.B, name, src string, k int) string {
	b.Helper()
	m, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		b.Fatal(err)
	}
	defined := map[string]bool{}
	for _, r := range m.Rules {
		if n := r.Head.Ref()[0].String(); !shared[n] {
			defined[n] = true
		}
	}
	for n := range defined {
		re := regexp.MustCompile(`(^|[^."\w])` + n + `\b`)
		src = re.ReplaceAllString(src, fmt.Sprintf("${1}%s_c%d", n, k))
	}
	return src
}
