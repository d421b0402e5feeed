package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// holdActions records a signal with one action held for approval per id.
func holdActions(t *testing.T, db string, ids ...string) {
	t.Helper()
	now := time.Now()
	var as []store.Action
	for _, id := range ids {
		as = append(as, store.Action{ID: id, IdempotencyKey: "k-" + id,
			Kind: "revoke_sessions", TargetType: "principal",
			TargetID: "alice", Reason: "impossible travel",
			Policy: "travel", State: store.ActionAwaitingApproval,
			LastError: "held for approval: budget global allows 1 in 1h0m0s",
			CreatedAt: now})
	}
	_, err := openDB(t, db).RecordSignal(context.Background(),
		store.SignalRecord{ID: "sig-held", DedupKey: "held",
			Signal: json.RawMessage(`{}`)}, as, nil)
	if err != nil {
		t.Fatal(err)
	}
}

func TestApprovalsListApproveAndReject(t *testing.T) {
	db := importedStore(t)
	holdActions(t, db, "act-1", "act-2")
	out, code := ks(t, "--store", db, "approvals", "list", "-o", "json")
	var held []store.Action
	if err := json.Unmarshal([]byte(out), &held); code != 0 || err != nil ||
		len(held) != 2 {
		t.Fatalf("approvals list -o json: exit %d, %v: %s", code, err, out)
	}
	runCLICases(t, db, []cliCase{
		{"The list says why", []string{"--store", "DB", "approvals", "list"},
			0, []string{"act-1", "act-2", "principal:alice", "budget global"}},
		{"Approving", []string{"--store", "DB", "approvals", "approve",
			"act-1", "--reason", "confirmed", "--operator", "dana"},
			0, []string{"act-1", "pending", "approved by operator:dana"}},
		{"Approving twice", []string{"--store", "DB", "approvals", "approve",
			"act-1", "--reason", "again", "--operator", "erin"},
			1, []string{"not awaiting approval", "approved by operator:dana"}},
		{"Rejecting", []string{"--store", "DB", "approvals", "reject",
			"act-2", "--reason", "pentest", "--operator", "erin"},
			0, []string{"act-2", "skipped", "rejected by operator:erin"}},
		{"Approving a rejected action", []string{"--store", "DB", "approvals",
			"approve", "act-2", "--reason", "changed my mind"},
			1, []string{"not awaiting approval", "rejected by operator:erin"}},
		{"An unknown action", []string{"--store", "DB", "approvals",
			"approve", "act-9", "--reason", "x"}, 1, []string{"act-9", "not found"}},
		{"No reason", []string{"--store", "DB", "approvals", "reject",
			"act-1"}, 2, []string{"reason"}},
		{"Nothing left to decide", []string{"--store", "DB", "approvals",
			"list"}, 0, []string{"ACTION"}},
	})
	if got := auditBy(t, db, "action.approved"); !contains(got, "operator:dana act-1") {
		t.Errorf("action.approved entries %q, want one by operator:dana", got)
	}
	if got := auditBy(t, db, "action.rejected"); !contains(got, "operator:erin act-2") {
		t.Errorf("action.rejected entries %q, want one by operator:erin", got)
	}
}
