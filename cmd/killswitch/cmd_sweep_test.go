package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/store"
	"github.com/killswitch-dev/killswitch/sweeps"
)

// exposedStore is the demo registry with deploy-bot's token exposed ten
// days ago and found valid, and alice's key exposed a day ago, not
// checked.
func exposedStore(t *testing.T) string {
	t.Helper()
	db := importedStore(t)
	st := openDB(t, db)
	ctx := context.Background()
	now := time.Now()
	for id, ago := range map[string]time.Duration{
		"deploy-bot-pat": 10 * 24 * time.Hour, "alice-aws-key": 24 * time.Hour} {
		_, err := st.RecordExposure(ctx, store.ExposureRecord{CredentialID: id,
			Source: "github_secret_scanning", Where: "acme/payments-api",
			FirstSeen: now.Add(-ago)})
		if err != nil {
			t.Fatal(err)
		}
	}
	err := st.SetExposureValidity(ctx, "deploy-bot-pat", store.ValidityValid, now)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func exposedIDs(t *testing.T, out string) []string {
	t.Helper()
	var xs []store.ExposedCredential
	if err := json.Unmarshal([]byte(out), &xs); err != nil {
		t.Fatalf("not a JSON list of exposed credentials: %v: %s", err, out)
	}
	var ids []string
	for _, x := range xs {
		ids = append(ids, x.Credential.ID)
	}
	return ids
}

func TestCredentialsListFiltersByExposureValidityAndAge(t *testing.T) {
	db := exposedStore(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--exposed"}, "deploy-bot-pat,alice-aws-key"},
		{[]string{"--still-valid"}, "deploy-bot-pat"},
		{[]string{"--exposed", "--older-than", "5d"}, "deploy-bot-pat"},
		{[]string{"--exposed", "--older-than", "36h", "--principal", "alice"}, ""},
	}
	for _, c := range cases {
		args := append([]string{"--store", db, "credentials", "list", "-o", "json"},
			c.args...)
		out, code := ks(t, args...)
		if code != 0 {
			t.Fatalf("%v exited %d: %s", c.args, code, out)
		}
		if got := strings.Join(exposedIDs(t, out), ","); got != c.want {
			t.Errorf("%v listed %q, want %q", c.args, got, c.want)
		}
	}
	out, code := ks(t, "--store", db, "credentials", "list", "--exposed")
	if code != 0 || !strings.Contains(out, "valid") ||
		!strings.Contains(out, "not checked") {
		t.Errorf("text listing (exit %d) lacks the validities:\n%s", code, out)
	}
	if out, code := ks(t, "--store", db, "credentials", "list",
		"--older-than", "5x"); code != 2 || !strings.Contains(out, "--older-than") {
		t.Errorf("--older-than 5x: exit %d, want 2 naming the flag: %s", code, out)
	}
}

func TestSweepRunListAndReport(t *testing.T) {
	db := exposedStore(t)
	cfg := filepath.Join(t.TempDir(), "killswitch.yaml")
	err := os.WriteFile(cfg, []byte("sweeps:\n  jobs:\n"+
		"    - sweep: exposed-still-valid\n"+
		"      schedule: \"0 6 * * *\"\n"+
		"      time_zone: Europe/London\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	out, code := ks(t, "--store", db, "--log-level", "error", "sweep", "run",
		"exposed-still-valid", "--config", cfg, "-o", "json")
	if code != 0 {
		t.Fatalf("sweep run exited %d: %s", code, out)
	}
	var rep sweeps.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("sweep run -o json: %v: %s", err, out)
	}
	// deploy-bot's token is 10 days exposed: notify, revoke it and its
	// sessions; alice's key, a day exposed, waits.
	if rep.Examined != 2 || rep.Found != 2 || rep.Planned != 3 || rep.Done != 3 {
		t.Fatalf("report = %+v, want 2 examined and found, 3 planned and done", rep)
	}
	c, err := openDB(t, db).GetCredential(context.Background(), "deploy-bot-pat")
	if err != nil || c.Status != store.StatusRevoked {
		t.Fatalf("deploy-bot-pat = %+v, %v; want revoked", c, err)
	}
	out, code = ks(t, "--store", db, "sweep", "list", "--config", cfg, "-o", "json")
	var rows []sweepRow
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil {
		t.Fatalf("sweep list -o json: exit %d, %v: %s", code, err, out)
	}
	if r := rows[0]; r.Sweep != "exposed-still-valid" || r.LastRun.IsZero() ||
		r.Duration == "" || r.Outcome != store.SweepSucceeded ||
		r.NextRun.IsZero() || r.Schedule != "0 6 * * *" {
		t.Fatalf("list row %+v: want schedule, last run, duration, outcome "+
			"and next run", r)
	}
	runCLICases(t, db, []cliCase{
		{"the report of the last run", []string{"--store", "DB", "sweep",
			"report", "exposed-still-valid"}, 0,
			[]string{"examined 2  found 2  planned 3  done 3  failed 0",
				"revoke_credential credential:deploy-bot-pat"}},
		{"the list shows schedule, outcome and next run", []string{"--store",
			"DB", "sweep", "list", "--config", cfg}, 0,
			[]string{"exposed-still-valid", "0 6 * * *", "Europe/London",
				"succeeded", "not scheduled"}},
		{"a sweep that never ran has no report", []string{"--store", "DB",
			"sweep", "report", "idle-sessions"}, 1, []string{"has not run yet"}},
		{"an unknown sweep is bad usage", []string{"--store", "DB", "sweep",
			"run", "nope"}, 2, []string{"not a sweep", "exposed-still-valid"}},
	})
}

func TestSweepListReportsTheNextRunOfTheSchedule(t *testing.T) {
	db := importedStore(t)
	cfg := filepath.Join(t.TempDir(), "killswitch.yaml")
	err := os.WriteFile(cfg, []byte("sweeps:\n  jobs:\n"+
		"    - {sweep: lock-hygiene, schedule: \"*/5 * * * *\"}\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	out, code := ks(t, "--store", db, "sweep", "list", "--config", cfg, "-o", "json")
	if code != 0 {
		t.Fatalf("sweep list exited %d: %s", code, out)
	}
	var rows []sweepRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		scheduled := r.Sweep == "lock-hygiene"
		if scheduled != !r.NextRun.IsZero() ||
			(scheduled && r.NextRun.Minute()%5 != 0) {
			t.Errorf("%s: next run %v", r.Sweep, r.NextRun)
		}
	}
}

func TestRunRunsTheSweepsOnTheirSchedules(t *testing.T) {
	db := exposedStore(t)
	cfg := filepath.Join(t.TempDir(), "killswitch.yaml")
	err := os.WriteFile(cfg, []byte("sweeps:\n  jobs:\n"+
		"    - {sweep: exposed-still-valid, schedule: \"* * * * * *\", "+
		"timeout: 30s}\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	run := exec.Command(binary, "--store", db, "run", "--config", cfg,
		"--sync-interval", "0", "--listen", "127.0.0.1:0", "--embedded-broker-port",
		fmt.Sprint(freeTestPort(t)))
	var logs bytes.Buffer
	run.Stderr = &logs
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer run.Process.Kill()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := openDB(t, db).GetCredential(context.Background(), "deploy-bot-pat")
		if err == nil && c.Status == store.StatusRevoked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scheduled sweep did not revoke deploy-bot-pat:\n%s",
				logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	run.Process.Signal(syscall.SIGTERM)
	if err := waitExit(run, 30*time.Second); err != nil {
		t.Fatalf("run did not stop on SIGTERM: %v\n%s", err, logs.String())
	}
	runs, err := openDB(t, db).ListSweepRuns(context.Background(),
		"exposed-still-valid", 0)
	if err != nil || len(runs) == 0 {
		t.Fatalf("runs = %v, %v", runs, err)
	}
	seen := map[time.Time]bool{}
	for _, r := range runs {
		if seen[r.ScheduledAt] || r.Outcome == store.SweepFailed {
			t.Fatalf("run %+v: twice for one time, or failed", r)
		}
		seen[r.ScheduledAt] = true
	}
}

func TestASweepRunByHandKeepsTheConfiguredGuardrails(t *testing.T) {
	cases := []struct{ name, guardrails string }{
		{"a protected principal", "  protected: [deploy-bot]\n"},
		{"a budget", "  budgets:\n    - {name: no-revocations, limit: 0, " +
			"window: 1h, kind: revoke_credential}\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := exposedStore(t)
			cfg := filepath.Join(t.TempDir(), "killswitch.yaml")
			err := os.WriteFile(cfg, []byte("guardrails:\n"+c.guardrails),
				0o600)
			if err != nil {
				t.Fatal(err)
			}
			out, code := ks(t, "--store", db, "--log-level", "error", "sweep",
				"run", "exposed-still-valid", "--config", cfg, "-o", "json")
			if code != 0 {
				t.Fatalf("sweep run exited %d: %s", code, out)
			}
			cred, err := openDB(t, db).GetCredential(context.Background(),
				"deploy-bot-pat")
			if err != nil || cred.Status != store.StatusActive {
				t.Fatalf("deploy-bot-pat = %s, %v; want it left active "+
					"by the guardrails of --config", cred.Status, err)
			}
		})
	}
}

func TestASweepRunWarnsOfAProtectedNameThatMatchesNoPrincipal(t *testing.T) {
	db := exposedStore(t)
	cfg := filepath.Join(t.TempDir(), "killswitch.yaml")
	err := os.WriteFile(cfg,
		[]byte("guardrails:\n  protected: [Deploy-Bot, deploy-bto]\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	out, code := ks(t, "--store", db, "--log-level", "warn", "sweep",
		"run", "exposed-still-valid", "--config", cfg, "-o", "json")
	if code != 0 {
		t.Fatalf("sweep run exited %d: %s", code, out)
	}
	if !strings.Contains(out, "level=WARN") ||
		!strings.Contains(out, "protected=deploy-bto") {
		t.Fatalf("no warning naming deploy-bto:\n%s", out)
	}
	if strings.Contains(out, "protected=Deploy-Bot") {
		t.Fatalf("warned of Deploy-Bot, which names deploy-bot:\n%s", out)
	}
}
