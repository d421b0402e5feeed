package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestSSFKeysRotateMakesANewActiveKeyAndListsNoPrivateHalf(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ks.db")
	if out, code := ks(t, "--store", db, "import", "../../testdata/inventory.yaml"); code != 0 {
		t.Fatalf("import exited %d: %s", code, out)
	}
	first, code := ks(t, "--store", db, "ssf", "keys", "rotate", "--operator", "bob")
	if code != 0 {
		t.Fatalf("rotate exited %d: %s", code, first)
	}
	second, _ := ks(t, "--store", db, "ssf", "keys", "rotate", "--alg", "RS256")
	out, code := ks(t, "--store", db, "ssf", "keys", "list", "-o", "json")
	var keys []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &keys) != nil {
		t.Fatalf("keys list exited %d: %s", code, out)
	}
	if len(keys) != 2 || keys[0]["kid"] != strings.TrimSpace(second) ||
		keys[0]["retired_at"] != nil || keys[1]["kid"] != strings.TrimSpace(first) ||
		keys[1]["retired_at"] == nil || keys[0]["alg"] != "RS256" {
		t.Fatalf("keys = %v, want the RS256 one active and the first retired", keys)
	}
	text, _ := ks(t, "--store", db, "ssf", "keys", "list")
	for _, o := range []string{out, text} {
		if strings.Contains(strings.ToLower(o), "private") || strings.Contains(o, "redacted") {
			t.Fatalf("keys list shows a private member: %s", o)
		}
	}
	audit, _ := ks(t, "--store", db, "audit", "list")
	if !strings.Contains(audit, "signing_key.rotated") || !strings.Contains(audit, "operator:bob") {
		t.Fatalf("the rotation is not audited with its operator:\n%s", audit)
	}
	if _, code := ks(t, "--store", db, "ssf", "keys", "rotate", "--alg", "HS256"); code != 2 {
		t.Fatalf("rotate --alg HS256 exited %d, want 2", code)
	}
	streams, code := ks(t, "--store", db, "ssf", "streams", "list", "-o", "json")
	if code != 0 || strings.TrimSpace(streams) != "[]" {
		t.Fatalf("streams list = %d %s, want []", code, streams)
	}
}
