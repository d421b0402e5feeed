package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/okta"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/rules"
)

const graceAlertFile = "../testdata/alerts/07-risc-credential-compromise-grace.json"

// metricsRig is a rig whose service records its metrics in a registry of
// its own.
func metricsRig(t *testing.T, ev Evaluator, setup func(*rig)) (*rig, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	r := newRig(t, "../testdata/inventory.yaml", ev)
	r.reg = reg
	if setup != nil {
		setup(r)
	}
	if ev == nil {
		ev = shippedPolicies(t)
	}
	r.svc = r.service(ev)
	return r, reg
}

// value reads one sample of a counter family, or fails the test.
func value(t *testing.T, c prometheus.Collector, labels ...string) float64 {
	t.Helper()
	switch v := c.(type) {
	case *prometheus.CounterVec:
		return testutil.ToFloat64(v.WithLabelValues(labels...))
	}
	t.Fatalf("no sample reader for %T", c)
	return 0
}

func TestMetricsCountSignalsDecisionsActionsAndDeadLetters(t *testing.T) {
	r, _ := metricsRig(t, nil, func(r *rig) {
		r.guard = Guardrails{Protected: []string{"grace"}}
	})
	r.start()
	r.send(
		[2][]byte{[]byte("erin"), readFile(t, erinAlert)},
		[2][]byte{[]byte("erin"), readFile(t, erinAlert)},
		[2][]byte{[]byte("grace"), readFile(t, graceAlertFile)},
		[2][]byte{[]byte("john"), []byte(badOkta)},
		[2][]byte{[]byte("x"), []byte("not json")},
	)
	r.waitFor("every message processed and every action run",
		func() bool { return r.settled(5) })
	r.stop()
	m := r.svc.Metrics

	cases := []struct {
		name   string
		c      prometheus.Collector
		labels []string
		want   float64
	}{
		{"Two new RISC signals", m.signals, []string{"risc", "new"}, 2},
		{"One redelivered RISC signal", m.signals, []string{"risc", "duplicate"}, 1},
		{"Two undecodable messages", m.signals, []string{"unknown", "dead_letter"}, 2},
		{"Both on the DLQ as decode errors", m.deadLetters, []string{CodeDecodeError}, 2},
		{"Erin's decision acts", m.decisions, []string{"account_compromise", "act"}, 1},
		{"Protected grace's decision is skipped", m.decisions,
			[]string{"account_compromise", "skipped"}, 1},
		{"Erin's sessions revocation is planned", m.actions,
			[]string{"revoke_sessions", "pending"}, 1},
		{"and done", m.actions, []string{"revoke_sessions", "done"}, 1},
		{"Erin is disabled once", m.actions, []string{"disable_principal", "done"}, 1},
		{"Grace is not", m.actions, []string{"disable_principal", "skipped"}, 1},
		{"Nothing failed", m.actions, []string{"revoke_sessions", "failed"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := value(t, tc.c, tc.labels...); got != tc.want {
				t.Fatalf("%v = %v, want %v", tc.labels, got, tc.want)
			}
		})
	}
}

func TestMetricsCountABrokenPolicyAsAPolicyError(t *testing.T) {
	ev, err := rules.Load(context.Background(), fstest.MapFS{
		"broken.rego": {Data: []byte(brokenPolicies[0].src)}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := metricsRig(t, ev, nil)
	r.start()
	r.send([2][]byte{[]byte("erin"), readFile(t, erinAlert)})
	r.waitFor("erin's alert dead-lettered", func() bool { return r.settled(1) })
	r.stop()
	m := r.svc.Metrics
	if got := value(t, m.decisions, "unknown", "policy_error"); got != 1 {
		t.Errorf("policy errors = %v, want 1", got)
	}
	if got := value(t, m.deadLetters, CodePolicyError); got != 1 {
		t.Errorf("policy_error DLQ messages = %v, want 1", got)
	}
	if got := value(t, m.signals, "risc", "dead_letter"); got != 1 {
		t.Errorf("dead-lettered RISC signals = %v, want 1", got)
	}
}

// oktaOutage is an Okta org whose session endpoint fails its first call
// with a 503, and that already has every user suspended.
type oktaOutage struct {
	mu      sync.Mutex
	deletes int
}

func (o *oktaOutage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodDelete &&
		strings.HasPrefix(r.URL.Path, "/api/v1/sessions/"):
		o.mu.Lock()
		o.deletes++
		first := o.deletes == 1
		o.mu.Unlock()
		if first {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodGet &&
		strings.HasPrefix(r.URL.Path, "/api/v1/users/"):
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id": "00uerinDEMO", "status": "SUSPENDED"}`))
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

const oktaToken = "00okta-metrics-test-token-value"

func TestMetricsTimeConnectorCallsAndClassTheirErrors(t *testing.T) {
	srv := httptest.NewServer(&oktaOutage{})
	t.Cleanup(srv.Close)
	conn, err := okta.New("okta-prod", "okta", okta.Config{
		HTTP: restclient.Config{BaseURL: srv.URL,
			Retry: restclient.RetryConfig{Attempts: 1}},
		Token: restclient.NewSecret(oktaToken)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, reg := metricsRig(t, nil, func(r *rig) {
		r.conns = connectors.Set{"okta": conn}
		r.exec = ExecutorConfig{Backoff: 10 * time.Millisecond}
	})
	r.start()
	r.send([2][]byte{[]byte("erin"), readFile(t, erinAlert)})
	r.waitFor("erin's actions done", func() bool { return r.settled(1) })
	r.stop()
	m := r.svc.Metrics

	if got := value(t, m.connErrors, "okta", "revoke_session", "server_error"); got != 1 {
		t.Errorf("server errors of revoke_session = %v, want 1", got)
	}
	if got := value(t, m.retries, "revoke_sessions"); got != 1 {
		t.Errorf("revoke_sessions retries = %v, want 1", got)
	}
	for _, outcome := range []string{"retryable", "done"} {
		h := m.connLatency.WithLabelValues("okta", "revoke_session", outcome)
		if n := histogramCount(t, h); n != 1 {
			t.Errorf("%s revoke_session calls timed = %d, want 1", outcome, n)
		}
	}
	text := gatherText(t, reg)
	for _, leak := range []string{oktaToken, srv.URL, "102erinOKTAweb000001",
		"erin@example.com", "erin-okta-web"} {
		if strings.Contains(text, leak) {
			t.Errorf("the metrics hold %q:\n%s", leak, text)
		}
	}
}

// histogramCount reads how many observations one histogram holds.
func histogramCount(t *testing.T, o prometheus.Observer) uint64 {
	t.Helper()
	var pb dto.Metric
	if err := o.(prometheus.Metric).Write(&pb); err != nil {
		t.Fatal(err)
	}
	return pb.GetHistogram().GetSampleCount()
}

// gatherText is the registry in the text exposition format, as a scrape
// sees it.
func gatherText(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

func TestBudgetTripsAreCountedByPolicyAndBudget(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	m.BudgetTripped("account_compromise", "global")
	m.BudgetTripped("account_compromise", "global")
	m.BudgetTripped("secret_exposure", "service_account_credentials")
	if got := value(t, m.budgetTrips, "account_compromise", "global"); got != 2 {
		t.Errorf("global trips of account_compromise = %v, want 2", got)
	}
	if got := value(t, m.budgetTrips, "secret_exposure",
		"service_account_credentials"); got != 1 {
		t.Errorf("trips of secret_exposure = %v, want 1", got)
	}
}

func TestPolicyLabelsStayBounded(t *testing.T) {
	m := newMetrics()
	cases := []struct{ name, rule, want string }{
		{"A rule name is kept", "account_compromise", "account_compromise"},
		{"No rule name is unknown", "", labelUnknown},
		{"A name with spaces is other", "revoke alice@example.com now", labelOther},
		{"A very long name is other", strings.Repeat("x", 81), labelOther},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.policy(tc.rule); got != tc.want {
				t.Fatalf("label of %q = %q, want %q", tc.rule, got, tc.want)
			}
		})
	}
	t.Run("Past the cap new names are other", func(t *testing.T) {
		for i := range maxPolicyLabels {
			m.policy(fmt.Sprintf("rule_%d", i))
		}
		if got := m.policy("one_too_many"); got != labelOther {
			t.Fatalf("got %q", got)
		}
		if got := m.policy("account_compromise"); got != "account_compromise" {
			t.Fatalf("a name seen before the cap became %q", got)
		}
	})
}

func TestNilMetricsRecordNothingAndDoNotPanic(t *testing.T) {
	m, err := NewMetrics(nil)
	if m != nil || err != nil {
		t.Fatalf("NewMetrics(nil) = %v, %v; want nil, nil", m, err)
	}
	m.consumed(Report{})
	m.decided(nil)
	m.policyFailed()
	m.finished(rules.Lock, "done")
	m.retried(rules.Lock)
	m.connectorCalled("okta", connectors.OpRevokeSession,
		connectors.Result{Outcome: connectors.Done}, time.Second)
	m.BudgetTripped("p", "global")
}

func TestTwoEnginesCannotShareARegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg); err == nil ||
		!strings.Contains(err.Error(), "register engine metrics") {
		t.Fatalf("second registration: %v", err)
	}
}
