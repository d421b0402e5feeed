package rules_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/killswitch-dev/killswitch/rules"
)

// slowPolicy's decision counts 10^12 pairs: it would run for hours, and
// held its partition as long, never dead-lettered.
const slowPolicy = `package killswitch.response

default decision := {"actions": []}

decision := {"actions": [], "severity": "low"} if {
	n := count([1 | some x in numbers.range(1, 1000000)
		some y in numbers.range(1, 1000000)])
	n > 0
}
`

// TestAnEvaluationPastItsLimitIsAPolicyError: a policy that runs too
// long is a fault of the policy, named by file and line like any other,
// so the alert goes to the dead-letter topic and the partition goes on.
func TestAnEvaluationPastItsLimitIsAPolicyError(t *testing.T) {
	ps, err := rules.Load(t.Context(), fstest.MapFS{
		"slow.rego": {Data: []byte(slowPolicy)}},
		rules.WithEvalTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ps.Evaluate(t.Context(), contractInput)
	var pe *rules.PolicyError
	if !errors.As(err, &pe) || pe.Code != rules.CodeEval ||
		pe.File != "slow.rego" || pe.Row == 0 ||
		!strings.Contains(pe.Message, "50ms") {
		t.Fatalf("error = %v, want a %s naming slow.rego, its line and "+
			"the 50ms limit", err, rules.CodeEval)
	}
}

// TestASweepPastItsLimitIsAPolicyError is the same for the sweep
// decision.
func TestASweepPastItsLimitIsAPolicyError(t *testing.T) {
	src := strings.Replace(slowPolicy, "package killswitch.response",
		"package killswitch.sweep", 1)
	ps, err := rules.Load(t.Context(), fstest.MapFS{
		"main.rego": {Data: []byte("package killswitch.response\n\n" +
			"decision := {\"actions\": []}\n")},
		"sweep.rego": {Data: []byte(src)}},
		rules.WithEvalTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ps.EvaluateSweep(t.Context(), contractInput)
	var pe *rules.PolicyError
	if !errors.As(err, &pe) || pe.Code != rules.CodeEval ||
		pe.File != "sweep.rego" {
		t.Fatalf("error = %v, want a %s naming sweep.rego", err, rules.CodeEval)
	}
}

// TestTheCallersCancelIsNoPolicyError: a shutdown cutting an evaluation
// short is the caller's context, not a fault of the policy.
func TestTheCallersCancelIsNoPolicyError(t *testing.T) {
	ps, err := rules.Load(t.Context(), fstest.MapFS{
		"slow.rego": {Data: []byte(slowPolicy)}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = ps.Evaluate(ctx, contractInput)
	if !errors.Is(err, context.Canceled) || rules.IsPolicyError(err) {
		t.Fatalf("error = %v, want context.Canceled and no policy error", err)
	}
}
