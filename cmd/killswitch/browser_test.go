package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/killswitch-dev/killswitch/internal/logbuf"
	"github.com/killswitch-dev/killswitch/store"
)

// TestConsoleInABrowser is a responder's night in the web console, in a
// real Chromium driven by chromedp against the real `killswitch run`: a
// budget holds frank's revocation for approval; the responder signs in
// with an API token made by the CLI, reads the overview and pauses its
// refresh, terminates deploy-bot's sessions through the confirmation
// (typing the count), approves frank's held revocation, sees both in the
// pages and in the registry, and verifies the audit chain. Screenshots of each step go to the test's artifact
// directory (go test -artifacts keeps them).
func TestConsoleInABrowser(t *testing.T) {
	chrome := requireTool(t, "chromium", "apt-get install chromium")
	r := startConsoleRun(t)
	secret := createToken(t, r.db, "dana", "responder")
	r.send("02-ocsf-detection-finding-frank.json")
	held := waitHeld(t, r.db)
	if len(held) == 0 {
		t.Fatalf("the budget held nothing; logs:\n%s", r.logs.String())
	}
	b := newBrowserSession(t, chrome)

	b.do("sign in", chromedp.Navigate(r.url+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), secret),
		chromedp.Submit(chromedp.ID("token")),
		chromedp.WaitVisible(chromedp.ID("caller")))
	b.wantText("#caller", "dana")
	b.wantText("#awaiting-count", "1")
	b.skipLinkFirst()
	b.do("pause the refresh", chromedp.Click(chromedp.ID("refresh-toggle")))
	b.wantText("#refresh-status", "Auto-refresh paused.")
	if pressed := run(b, "read the toggle", chromedp.AttributeValue(
		chromedp.ID("refresh-toggle"), "aria-pressed")); pressed.Value != "true" {
		t.Errorf("the paused toggle has aria-pressed %q", pressed.Value)
	}
	b.screenshot("1-overview")

	b.do("open the principal", chromedp.Navigate(r.url+"/principals/deploy-bot"),
		chromedp.WaitVisible(chromedp.ID("terminate-principal")))
	b.screenshot("2-principal")
	b.do("ask to terminate", chromedp.Click(chromedp.ID("terminate-principal")),
		chromedp.WaitVisible(chromedp.ID("confirm-terminate")))
	b.wantText("#terminate-count", "3 live sessions will be terminated")
	b.screenshot("3-confirmation")
	b.do("confirm", chromedp.SendKeys(chromedp.ID("reason"), "INC-4711 browser test"),
		chromedp.SendKeys(chromedp.ID("confirm"), "3"),
		chromedp.Click(chromedp.ID("confirm-terminate")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.wantText(".flash", "terminated 3 sessions")
	b.screenshot("4-terminated")
	st := openDB(t, r.db)
	for _, id := range []string{"deploy-bot-ci-1", "deploy-bot-ci-2",
		"deploy-bot-ssh-prod"} {
		if got := sessionStatus(st, id); got != store.StatusRevoked {
			t.Errorf("session %s is %s after the termination", id, got)
		}
	}

	a := held[0]
	b.do("open the approvals", chromedp.Navigate(r.url+"/approvals"),
		chromedp.WaitVisible(chromedp.ID("approve-"+a.ID)))
	b.screenshot("5-approvals")
	b.do("approve", chromedp.SendKeys(chromedp.ID("reason-"+a.ID),
		"confirmed with frank's manager"),
		chromedp.Click(chromedp.ID("approve-"+a.ID)),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.wantText(".flash", "approved action "+a.ID)
	b.screenshot("6-approved")
	done := waitAction(t, st, a.ID)
	if done.Verdict == nil || !strings.HasPrefix(done.Verdict.By, "operator:dana") {
		t.Errorf("verdict = %+v, want one by operator:dana", done.Verdict)
	}
	b.do("see frank", chromedp.Navigate(r.url+"/principals/frank"),
		chromedp.WaitVisible(chromedp.ID("timeline")))
	b.wantText("#main", "approved by operator:dana")
	b.screenshot("7-frank")

	b.do("verify the audit chain", chromedp.Navigate(r.url+"/audit"),
		chromedp.Click(chromedp.ID("verify")),
		chromedp.WaitVisible(chromedp.ID("verify-result")))
	b.wantText("#verify-result", "Chain intact")
	b.screenshot("8-audit")
}

// startConsoleRun starts run on its embedded broker with a budget of no
// session revocations, an HTTP listener on a port it picks, and a typed
// count needed to terminate more than two sessions.
func startConsoleRun(t *testing.T) *monitoredRun {
	t.Helper()
	return startConsoleRunWith(t, "127.0.0.1:0", "", nil)
}

// startConsoleRunWith is startConsoleRun listening on listen, with more
// of the config file and more environment variables.
func startConsoleRunWith(t *testing.T, listen, config string,
	env []string) *monitoredRun {
	t.Helper()
	r := &reloadRun{t: t, dir: copyPolicies(t, func(map[string]any) {}),
		logs: &logbuf.Buffer{}, db: importedStore(t)}
	path := writeConfig(t, "guardrails:\n  budgets:\n"+
		"    - {name: no-revocations, limit: 0, window: 1h, kind: revoke_sessions}\n"+
		config)
	port := freeTestPort(t)
	r.broker = "127.0.0.1:" + strconv.Itoa(port)
	r.cmd = exec.Command(binary, "--store", r.db, "run", "--listen",
		listen, "--policies", r.dir, "--config", path,
		"--sync-interval", "0", "--embedded-broker-port", strconv.Itoa(port),
		"--console-confirm-above", "2")
	r.cmd.Env = append(os.Environ(), env...)
	r.cmd.Stderr = r.logs
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.cmd.Process.Kill(); r.cmd.Wait() })
	listening := regexp.MustCompile(`msg="http listening" addr=(\S+)`)
	var addr []string
	r.waitFor("run listens", func() bool {
		addr = listening.FindStringSubmatch(r.logs.String())
		return addr != nil
	})
	return &monitoredRun{reloadRun: r, url: "http://" + addr[1]}
}

// createToken makes an API token with the CLI and returns its secret.
func createToken(t *testing.T, db, name, role string) string {
	t.Helper()
	out, code := ks(t, "--store", db, "tokens", "create", "--name", name,
		"--role", role, "--expires", "1h")
	secret := regexp.MustCompile(`(?m)^ks_\S+$`).FindString(out)
	if code != 0 || secret == "" {
		t.Fatalf("tokens create exited %d without a secret: %s", code, out)
	}
	return secret
}

// waitAction waits until the action is done and returns it.
func waitAction(t *testing.T, st store.Store, id string) store.Action {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		a, err := st.GetAction(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if a.State == store.ActionDone {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("action %s is %s a minute after its approval", id, a.State)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// browserSession is one headless Chromium tab, with a directory for
// its screenshots.
type browserSession struct {
	t   *testing.T
	ctx context.Context
	dir string
}

// stepTimeout bounds one step in the browser.
const stepTimeout = 30 * time.Second

func newBrowserSession(t *testing.T, chrome string) *browserSession {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 1000))
	ctx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel = chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	b := &browserSession{t: t, ctx: ctx, dir: t.ArtifactDir()}
	t.Logf("screenshots in %s", b.dir)
	return b
}

// do runs steps in the tab; a failure is screenshot and fails the test.
func (b *browserSession) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.screenshot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
}

// run runs one step that returns a value.
func run[T any](b *browserSession, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.screenshot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// wantText fails the test unless the element's text holds want.
func (b *browserSession) wantText(sel, want string) {
	b.t.Helper()
	got := run(b, "read "+sel, chromedp.Text(chromedp.CSS(sel),
		chromedp.NodeVisible))
	if !strings.Contains(strings.Join(strings.Fields(got), " "), want) {
		b.screenshot("failed-text")
		b.t.Fatalf("%s reads %q, want %q in it", sel, got, want)
	}
}

// skipLinkFirst checks that the first Tab on a page lands on the skip
// link, for keyboard users.
func (b *browserSession) skipLinkFirst() {
	b.t.Helper()
	b.do("press tab", chromedp.KeyEvent(kb.Tab))
	focused := run(b, "read the focus", chromedp.Evaluate[string](
		`document.activeElement.getAttribute("href")`))
	if focused != "#main" {
		b.t.Errorf("the first Tab focuses a link to %q, want the skip link", focused)
	}
}

// screenshot saves the whole page as name.png.
func (b *browserSession) screenshot(name string) {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(filepath.Join(b.dir, name+".png"), png, 0o644)
	}
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}
