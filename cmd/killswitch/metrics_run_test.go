package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/killswitch-dev/killswitch/internal/logbuf"
)

// monitoredRun is `killswitch run` with reloading policies, a budget of
// no session revocations, an Okta connector to an org that throttles
// its first call, and an HTTP listener on a port it picks.
type monitoredRun struct {
	*reloadRun
	url string
}

// monitoredOktaToken is the Okta API token of monitoredRun; it must
// show nowhere.
const monitoredOktaToken = "00okta-monitored-run-token"

// startMonitoredRun starts run on the brokers, or on its embedded broker
// when brokers is empty, with the extra flags of run.
func startMonitoredRun(t *testing.T, brokers string, extra ...string) *monitoredRun {
	t.Helper()
	r := &reloadRun{t: t, dir: copyPolicies(t, func(map[string]any) {}),
		logs: &logbuf.Buffer{}, db: importedStore(t), broker: brokers}
	okta := startThrottledOkta(t, monitoredOktaToken,
		"okta-sess-dave-laptop")
	config := writeConfig(t, "guardrails:\n  budgets:\n"+
		"    - {name: no-revocations, limit: 0, window: 1h, kind: revoke_sessions}\n"+
		"connectors:\n  - {name: okta, type: okta, base_url: \""+okta.URL+
		"\", token: {env: OKTA_TOKEN}, retry: {attempts: 1}}\n")
	args := []string{"--store", r.db, "run", "--listen", "127.0.0.1:0",
		"--policies", r.dir, "--config", config, "--sync-interval", "0"}
	if brokers == "" {
		port := freeTestPort(t)
		r.broker = "127.0.0.1:" + strconv.Itoa(port)
		args = append(args, "--embedded-broker-port", strconv.Itoa(port))
	} else {
		args = append(args, "--kafka-brokers", brokers)
	}
	r.cmd = exec.Command(binary, append(args, extra...)...)
	r.cmd.Env = append(os.Environ(), "OKTA_TOKEN="+monitoredOktaToken)
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

// gatedBroker is a Kafka-protocol broker in the test that refuses every
// consumer group join, as a coordinator still loading does, until open
// is called.
type gatedBroker struct {
	cluster *kfake.Cluster
	addr    string
	open    atomic.Bool
}

// coordinatorLoadInProgress is the retryable Kafka error code 14.
const coordinatorLoadInProgress = 14

func startGatedBroker(t *testing.T) *gatedBroker {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3,
		"security.alerts", "security.alerts.dlq", "killswitch.revocations"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	g := &gatedBroker{cluster: c, addr: c.ListenAddrs()[0]}
	c.ControlKey(int16(kmsg.JoinGroup), func(req kmsg.Request) (kmsg.Response, error, bool) {
		if g.open.Load() {
			c.DropControl()
			return nil, nil, false
		}
		c.KeepControl()
		resp := req.ResponseKind().(*kmsg.JoinGroupResponse)
		resp.ErrorCode = coordinatorLoadInProgress
		return resp, nil, true
	})
	return g
}

// scrape parses /metrics as Prometheus does.
func (r *monitoredRun) scrape() map[string]*dto.MetricFamily {
	r.t.Helper()
	resp, err := http.Get(r.url + "/metrics")
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		r.t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		r.t.Fatalf("parse /metrics: %v", err)
	}
	return mfs
}

// sum adds up the samples of a family whose labels include want.
func sum(mfs map[string]*dto.MetricFamily, name string,
	want map[string]string) float64 {
	var total float64
	for _, m := range mfs[name].GetMetric() {
		if !hasLabels(m, want) {
			continue
		}
		total += m.GetCounter().GetValue() + m.GetGauge().GetValue() +
			float64(m.GetHistogram().GetSampleCount())
	}
	return total
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			n++
		}
	}
	return n == len(want)
}

// waitMetrics scrapes until cond holds.
func (r *monitoredRun) waitMetrics(what string,
	cond func(map[string]*dto.MetricFamily) bool) {
	r.t.Helper()
	r.waitFor(what, func() bool { return cond(r.scrape()) })
}

// body is the text of a page.
func (r *monitoredRun) body(page string) string {
	r.t.Helper()
	resp, err := http.Get(r.url + page)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

// health is the answer of /healthz.
func (r *monitoredRun) health() (int, healthReport) {
	r.t.Helper()
	resp, err := http.Get(r.url + "/healthz")
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep healthReport
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		r.t.Fatalf("decode /healthz: %v", err)
	}
	return resp.StatusCode, rep
}

// produce publishes raw payloads with kafka-go, past killswitch send's
// checks.
func (r *monitoredRun) produce(payloads ...string) {
	r.t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(r.broker), Topic: "security.alerts",
		RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, p := range payloads {
		if err := w.WriteMessages(ctx, kafka.Message{Value: []byte(p)}); err != nil {
			r.t.Fatal(err)
		}
	}
}

var (
	outboxWaiting = []string{"pending", "running", "awaiting_approval"}
	revokeHeld    = map[string]string{"state": "awaiting_approval",
		"kind": "revoke_sessions"}
)

// TestRunServesMetricsThatFollowTheWork runs the engine on a broker
// that keeps its consumer out of the group at first, sends an alert
// whose revocation a budget holds and a message that is not JSON, and
// reads /metrics as Prometheus would. While the consumer is out, the
// lag counts both messages and /healthz says the consumer is not ready.
// Once it joins, the signals, the decision, the held action in the
// outbox, the trip and the dead letter are counted and the lag is back
// to 0; once approved with the CLI, the revocation runs and the outbox
// is empty again.
func TestRunServesMetricsThatFollowTheWork(t *testing.T) {
	b := startGatedBroker(t)
	r := startMonitoredRun(t, b.addr)
	mfs := r.scrape()
	for _, name := range []string{"killswitch_outbox_depth",
		"killswitch_consumer_lag", "go_goroutines",
		"killswitch_policy_reload_healthy"} {
		if mfs[name] == nil {
			t.Fatalf("/metrics lacks %s", name)
		}
	}
	if n := len(mfs["killswitch_outbox_depth"].GetMetric()); n != 20 {
		t.Errorf("outbox depth has %d series, want 4 states x 5 kinds", n)
	}
	r.send("05-caep-session-revoked-dave.json")
	r.produce("not json")
	r.waitMetrics("the lag counts both messages", func(
		m map[string]*dto.MetricFamily) bool {
		return sum(m, "killswitch_consumer_lag", nil) == 2
	})
	code, rep := r.health()
	if code != http.StatusServiceUnavailable ||
		!strings.Contains(rep.Checks["consumer"], "not a member") ||
		rep.Checks["store"] != "ok" || rep.Checks["policy"] != "ok" {
		t.Fatalf("/healthz before the consumer joins: %d %+v, want 503 "+
			"naming the consumer only", code, rep)
	}
	b.open.Store(true)
	r.waitMetrics("the alert is decided, held and counted", func(
		m map[string]*dto.MetricFamily) bool {
		return sum(m, "killswitch_signals_consumed_total",
			map[string]string{"result": "new"}) == 1 &&
			sum(m, "killswitch_dlq_messages_total", nil) == 1 &&
			sum(m, "killswitch_decisions_total",
				map[string]string{"outcome": "approval"}) == 1 &&
			sum(m, "killswitch_budget_trips_total",
				map[string]string{"budget": "no-revocations"}) >= 1 &&
			sum(m, "killswitch_outbox_depth", revokeHeld) >= 1 &&
			sum(m, "killswitch_consumer_lag", nil) == 0
	})
	approveAll(t, r.db, waitHeld(t, r.db))
	r.waitMetrics("the approved revocation runs and the outbox empties",
		func(m map[string]*dto.MetricFamily) bool {
			waiting := 0.0
			for _, st := range outboxWaiting {
				waiting += sum(m, "killswitch_outbox_depth",
					map[string]string{"state": st})
			}
			return waiting == 0 && sum(m, "killswitch_actions_total",
				map[string]string{"state": "done", "kind": "revoke_sessions"}) >= 1
		})
	mfs = r.scrape()
	throttled := map[string]string{"connector": "okta",
		"op": "revoke_session", "reason": "throttled"}
	if got := sum(mfs, "killswitch_connector_errors_total", throttled); got != 1 {
		t.Errorf("throttled Okta calls = %v, want 1", got)
	}
	if got := sum(mfs, "killswitch_connector_request_duration_seconds",
		map[string]string{"connector": "okta", "outcome": "done"}); got != 1 {
		t.Errorf("Okta calls timed as done = %v, want dave's laptop session", got)
	}
	if got := sum(mfs, "killswitch_action_retries_total",
		map[string]string{"kind": "revoke_sessions"}); got < 1 {
		t.Errorf("revoke_sessions retries = %v, want the throttled one", got)
	}
	for _, page := range []string{"/metrics", "/healthz"} {
		if body := r.body(page); strings.Contains(body, monitoredOktaToken) {
			t.Errorf("%s shows the Okta token", page)
		}
	}
	if n := len(mfs["killswitch_consumer_lag"].GetMetric()); n != 3 {
		t.Errorf("lag of %d partitions, want the 3 of the embedded broker", n)
	}
	if got := sum(mfs, "killswitch_outbox_depth",
		map[string]string{"state": "failed"}); got != 0 {
		t.Errorf("%v failed actions, want none", got)
	}
	stopRun(t, r.reloadRun)
}

// TestRunHealthNamesABrokenPolicySet: /healthz is 200 once the consumer
// is in its group, 503 naming the file while the policy set on disk is
// broken (the one before stays in force), and 200 again once it is
// fixed; /livez stays 200 throughout.
func TestRunHealthNamesABrokenPolicySet(t *testing.T) {
	r := startMonitoredRun(t, "")
	r.waitFor("/healthz is ready", func() bool {
		code, _ := r.health()
		return code == http.StatusOK
	})
	_, rep := r.health()
	for _, part := range []string{"store", "consumer", "policy"} {
		if rep.Checks[part] != "ok" {
			t.Errorf("ready, but %s is %q", part, rep.Checks[part])
		}
	}
	broken := filepath.Join(r.dir, "zz_broken.rego")
	writeFile(t, broken, "package killswitch.response\n\nbroken := {\n")
	r.waitLog("the broken set is refused", "file=zz_broken.rego line=4")
	code, rep := r.health()
	if code != http.StatusServiceUnavailable || rep.Status != "not_ready" ||
		!strings.Contains(rep.Checks["policy"], "zz_broken.rego") ||
		rep.Checks["store"] != "ok" || rep.Checks["consumer"] != "ok" {
		t.Fatalf("with a broken set: %d %+v, want 503 naming the policy file", code, rep)
	}
	if live := get(t, r.url+"/livez"); live != http.StatusOK {
		t.Errorf("/livez = %d while not ready, want 200", live)
	}
	writeFile(t, broken, "package killswitch.response\n\nfixed := true\n")
	r.waitFor("/healthz is ready again", func() bool {
		code, _ := r.health()
		return code == http.StatusOK
	})
	stopRun(t, r.reloadRun)
}

// TestRunHealthNamesABrokenSignalMappingFile: a mapping file that broke
// while run ran left the mappings before it deciding, as a broken policy
// set does, and /healthz said ready all the same.
func TestRunHealthNamesABrokenSignalMappingFile(t *testing.T) {
	mappings := filepath.Join(t.TempDir(), "mappings.yaml")
	good, err := os.ReadFile(exampleMappings)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, mappings, string(good))
	r := startMonitoredRun(t, "", "--signal-mappings", mappings)
	r.waitFor("/healthz is ready", func() bool {
		code, rep := r.health()
		return code == http.StatusOK && rep.Checks["signal_mappings"] == "ok"
	})
	broken, err := os.ReadFile(brokenMappings(t))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, mappings, string(broken))
	r.waitLog("the broken file is refused", "signal mappings reload failed")
	code, rep := r.health()
	if code != http.StatusServiceUnavailable ||
		!strings.Contains(rep.Checks["signal_mappings"], "mappings.yaml:3: mapping") {
		t.Fatalf("with a broken mapping file: %d %+v, want 503 naming "+
			"its file and line", code, rep)
	}
	writeFile(t, mappings, string(good))
	r.waitFor("/healthz is ready again", func() bool {
		code, _ := r.health()
		return code == http.StatusOK
	})
	stopRun(t, r.reloadRun)
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// stopRun ends run with SIGTERM, as a supervisor would.
func stopRun(t *testing.T, r *reloadRun) {
	t.Helper()
	r.cmd.Process.Signal(syscall.SIGTERM)
	if err := waitExit(r.cmd, 30*time.Second); err != nil {
		t.Fatalf("run did not stop on SIGTERM: %v\n%s", err, r.logs.String())
	}
	if strings.Contains(r.logs.String(), monitoredOktaToken) {
		t.Error("run logged the Okta token")
	}
}
