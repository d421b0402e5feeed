package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/api"
	"github.com/killswitch-dev/killswitch/store"
)

// secretLine finds the secret tokens create prints.
var secretLine = regexp.MustCompile(`(?m)^ks_[a-z2-7]{52}$`)

func TestTokensCreateListRevoke(t *testing.T) {
	db := importedStore(t)
	out, code := ks(t, "--store", db, "tokens", "create", "--name", "ci",
		"--role", "viewer", "--scope-kind", "service_account",
		"--expires", "24h", "--operator", "dana")
	secret := secretLine.FindString(out)
	if code != 0 || secret == "" {
		t.Fatalf("tokens create exited %d without a secret: %s", code, out)
	}

	out, code = ks(t, "--store", db, "tokens", "list", "-o", "json")
	var ts []store.APIToken
	if err := json.Unmarshal([]byte(out), &ts); code != 0 || err != nil ||
		len(ts) != 1 {
		t.Fatalf("tokens list exited %d: %v: %s", code, err, out)
	}
	if strings.Contains(out, secret) ||
		strings.Contains(out, api.HashSecret(secret)) {
		t.Fatalf("tokens list shows the secret or its hash: %s", out)
	}
	if ts[0].Role != "viewer" || ts[0].CreatedBy != "operator:dana" ||
		ts[0].Scopes.PrincipalKinds[0] != store.KindServiceAccount {
		t.Fatalf("token %+v", ts[0])
	}

	out, code = ks(t, "--store", db, "tokens", "revoke", ts[0].ID,
		"--operator", "eve")
	if code != 0 || !strings.Contains(out, ts[0].ID) {
		t.Fatalf("tokens revoke exited %d: %s", code, out)
	}
	got := auditBy(t, db, "token.created")
	got = append(got, auditBy(t, db, "token.revoked")...)
	want := []string{"operator:dana token:" + ts[0].ID,
		"operator:eve token:" + ts[0].ID}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("audited %q, want %q", got, want)
	}
	es, _ := openDB(t, db).ListAudit(context.Background(), store.AuditFilter{})
	b, _ := json.Marshal(es)
	if strings.Contains(string(b), secret) {
		t.Fatal("the audit trail holds the secret")
	}
}

func TestTokensCreateNamesTheBadFlag(t *testing.T) {
	db := importedStore(t)
	runCLICases(t, db, []cliCase{
		{"No role", []string{"--store", "DB", "tokens", "create",
			"--name", "x"}, 2, []string{"--role"}},
		{"An unknown role", []string{"--store", "DB", "tokens", "create",
			"--name", "x", "--role", "root"}, 2, []string{"--role", "root"}},
		{"No name", []string{"--store", "DB", "tokens", "create",
			"--role", "admin"}, 2, []string{"--name"}},
		{"An unknown kind", []string{"--store", "DB", "tokens", "create",
			"--name", "x", "--role", "admin", "--scope-kind", "robot"}, 2,
			[]string{"--scope-kind", "robot"}},
		{"Revoking an unknown token", []string{"--store", "DB", "tokens",
			"revoke", "tok_nope"}, 2, []string{"tok_nope"}},
	})
}

func TestRunServesTheAPIToATokenFromTheCLI(t *testing.T) {
	db := importedStore(t)
	out, _ := ks(t, "--store", db, "tokens", "create", "--name", "ops",
		"--role", "viewer")
	secret := secretLine.FindString(out)
	httpPort, brokerPort := freeTestPort(t), freeTestPort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", httpPort)
	run := exec.Command(binary, "--store", db, "run", "--listen", addr,
		"--embedded-broker-port", fmt.Sprint(brokerPort))
	var logs bytes.Buffer
	run.Stderr = &logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer run.Process.Kill()
	waitDial(t, addr)

	get := func(path, secret string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		json.NewDecoder(res.Body).Decode(&body)
		return res, body
	}
	res, body := get("/v1/principals?alias_type=email&alias=alice@example.com", secret)
	items, _ := body["items"].([]any)
	if res.StatusCode != http.StatusOK || len(items) != 1 ||
		items[0].(map[string]any)["id"] != "alice" {
		t.Fatalf("GET /v1/principals: %d %v\n%s", res.StatusCode, body, logs.String())
	}
	res, body = get("/v1/sessions?principal=alice", "ks_wrong")
	if res.StatusCode != http.StatusUnauthorized ||
		res.Header.Get("Content-Type") != "application/problem+json" ||
		body["code"] != "unauthenticated" {
		t.Fatalf("a wrong token got %d %v", res.StatusCode, body)
	}

	run.Process.Signal(syscall.SIGTERM)
	if err := waitExit(run, 30*time.Second); err != nil {
		t.Fatalf("run did not stop: %v\n%s", err, logs.String())
	}
	if strings.Contains(logs.String(), secret) {
		t.Fatal("run logged the token")
	}
}
