package engine

import (
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/killswitch-dev/killswitch/connectors"
	"github.com/killswitch-dev/killswitch/connectors/restclient"
	"github.com/killswitch-dev/killswitch/store"
)

// Label values the metrics use when the real value is missing or must not
// become a label.
const (
	labelNone    = "none"
	labelUnknown = "unknown"
	labelOther   = "other"
)

// maxPolicyLabels bounds how many distinct policy rule names become label
// values; later ones are counted as "other". Rule names come from Rego,
// which could build them from alert fields.
const maxPolicyLabels = 100

// policyLabel is what a rule name must look like to be a label value.
var policyLabel = regexp.MustCompile(`^[A-Za-z0-9_.:/-]{1,80}$`)

// Metrics are the engine's Prometheus collectors. Labels only ever hold
// values from small closed sets (formats, codes, kinds, states, outcomes,
// reasons) or from configuration (connector and policy rule names): never
// a principal, a URL or a secret.
//
// A nil *Metrics records nothing, so that commands and tests that want
// no metrics pass nil.
type Metrics struct {
	signals     *prometheus.CounterVec
	deadLetters *prometheus.CounterVec
	decisions   *prometheus.CounterVec
	actions     *prometheus.CounterVec
	retries     *prometheus.CounterVec
	connLatency *prometheus.HistogramVec
	connErrors  *prometheus.CounterVec
	budgetTrips *prometheus.CounterVec

	mu       sync.Mutex
	policies map[string]bool
}

// NewMetrics creates the engine's collectors and registers them with reg.
// A nil reg gives a nil *Metrics, which records nothing.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := newMetrics()
	for _, c := range m.collectors() {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register engine metrics: %w", err)
		}
	}
	return m, nil
}

func newMetrics() *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: name, Help: help}, labels)
	}
	return &Metrics{
		signals: counter("killswitch_signals_consumed_total",
			"Alert messages consumed, by signal format and result "+
				"(new, duplicate, dead_letter).", "format", "result"),
		deadLetters: counter("killswitch_dlq_messages_total",
			"Messages sent to the dead-letter topic, by error code.", "code"),
		decisions: counter("killswitch_decisions_total",
			"Decisions on new signals, by policy rule and outcome (act, "+
				"approval, skipped, no_action, policy_error).",
			"policy", "outcome"),
		actions: counter("killswitch_actions_total",
			"Actions that reached a state, by kind: planned as pending, "+
				"awaiting_approval or skipped; finished as done or failed.",
			"kind", "state"),
		retries: counter("killswitch_action_retries_total",
			"Action attempts that failed and will be tried again, by kind.",
			"kind"),
		connLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "killswitch_connector_request_duration_seconds",
			Help: "Time a connector took to answer one change, retries " +
				"included, by connector, operation and outcome.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"connector", "op", "outcome"}),
		connErrors: counter("killswitch_connector_errors_total",
			"Connector calls that failed, by connector, operation and reason "+
				"(throttled, server_error, client_error, timeout, network, "+
				"breaker_open, authentication, other).",
			"connector", "op", "reason"),
		budgetTrips: counter("killswitch_budget_trips_total",
			"Actions a blast-radius budget held for approval, by policy "+
				"rule and budget.", "policy", "budget"),
		policies: map[string]bool{},
	}
}

func (m *Metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.signals, m.deadLetters, m.decisions,
		m.actions, m.retries, m.connLatency, m.connErrors, m.budgetTrips}
}

// consumed counts one finished message.
func (m *Metrics) consumed(r Report) {
	if m == nil {
		return
	}
	format := string(r.Outcome.Signal.Format)
	if format == "" {
		format = labelUnknown
	}
	switch {
	case r.Poison != nil:
		m.signals.WithLabelValues(format, "dead_letter").Inc()
		m.deadLetters.WithLabelValues(r.Poison.Code).Inc()
	case r.Outcome.Duplicate:
		m.signals.WithLabelValues(format, "duplicate").Inc()
	default:
		m.signals.WithLabelValues(format, "new").Inc()
	}
}

// decided counts a new signal's decision once per policy rule that asked
// for actions, with the outcome of the first of them that will run, and
// its planned actions by state.
func (m *Metrics) decided(actions []store.Action) {
	if m == nil {
		return
	}
	if len(actions) == 0 {
		m.decisions.WithLabelValues(labelNone, "no_action").Inc()
		return
	}
	outcome := map[string]string{}
	for _, a := range actions {
		m.actions.WithLabelValues(a.Kind, a.State).Inc()
		p := m.policy(a.Policy)
		if o, seen := outcome[p]; !seen || rank(decisionOutcome(a)) < rank(o) {
			outcome[p] = decisionOutcome(a)
		}
	}
	for p, o := range outcome {
		m.decisions.WithLabelValues(p, o).Inc()
	}
}

// policyFailed counts a decision that broke the contract.
func (m *Metrics) policyFailed() {
	if m == nil {
		return
	}
	m.decisions.WithLabelValues(labelUnknown, "policy_error").Inc()
}

func decisionOutcome(a store.Action) string {
	switch a.State {
	case store.ActionPending:
		return "act"
	case store.ActionAwaitingApproval:
		return "approval"
	}
	return "skipped"
}

// rank orders outcomes: a rule that acts at all counts as acting.
func rank(outcome string) int {
	switch outcome {
	case "act":
		return 0
	case "approval":
		return 1
	}
	return 2
}

// policy returns the label value for a rule name.
func (m *Metrics) policy(rule string) string {
	if rule == "" {
		return labelUnknown
	}
	if !policyLabel.MatchString(rule) {
		return labelOther
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.policies[rule] {
		if len(m.policies) >= maxPolicyLabels {
			return labelOther
		}
		m.policies[rule] = true
	}
	return rule
}

// finished counts an action that reached done or failed.
func (m *Metrics) finished(kind, state string) {
	if m == nil {
		return
	}
	m.actions.WithLabelValues(kind, state).Inc()
}

// retried counts a failed attempt that will be tried again.
func (m *Metrics) retried(kind string) {
	if m == nil {
		return
	}
	m.retries.WithLabelValues(kind).Inc()
}

// connectorCalled records one connector call: how long it took and, when
// it failed, why.
func (m *Metrics) connectorCalled(provider string, op connectors.Op,
	res connectors.Result, took time.Duration) {
	if m == nil {
		return
	}
	outcome := string(res.Outcome)
	if outcome == "" {
		outcome = labelUnknown
	}
	m.connLatency.WithLabelValues(provider, string(op), outcome).
		Observe(took.Seconds())
	if reason := restclient.Reason(res); reason != "" {
		m.connErrors.WithLabelValues(provider, string(op), reason).Inc()
	}
}

// BudgetTripped counts an action that the blast-radius budget named
// budget (a short configured name such as "global" or
// "service_account_credentials") held for approval; policy is the rule
// that asked for it.
func (m *Metrics) BudgetTripped(policy, budget string) {
	if m == nil {
		return
	}
	m.budgetTrips.WithLabelValues(m.policy(policy), budget).Inc()
}
