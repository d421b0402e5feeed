package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
)

// overlapEvaluator decides nothing and counts how many evaluations of
// each principal run at once, keeping the highest count seen.
type overlapEvaluator struct {
	mu      sync.Mutex
	running map[string]int
	most    map[string]int
	// hold, when set, is called inside each evaluation.
	hold func(in rules.Input)
}

func (e *overlapEvaluator) Evaluate(_ context.Context, in rules.Input) (rules.Decision, error) {
	e.mu.Lock()
	for _, p := range in.Principals {
		e.running[p.ID]++
		e.most[p.ID] = max(e.most[p.ID], e.running[p.ID])
	}
	e.mu.Unlock()
	if e.hold != nil {
		e.hold(in)
	}
	e.mu.Lock()
	for _, p := range in.Principals {
		e.running[p.ID]--
	}
	e.mu.Unlock()
	return rules.Decision{Revision: "rev-test"}, nil
}

func (*overlapEvaluator) Revision() string { return "rev-test" }

func newOverlapEvaluator() *overlapEvaluator {
	return &overlapEvaluator{running: map[string]int{}, most: map[string]int{}}
}

func signalNaming(key string, subs ...signals.Subject) signals.Signal {
	return signals.Signal{Format: signals.FormatOCSF,
		Category: signals.CategoryThreat, Severity: signals.SeverityHigh,
		Time: time.Now().UTC(), DedupKey: key, Subjects: subs}
}

// TestSignalsAboutOnePrincipalUnderTwoNamesTakeTurns: the source keeps
// one Kafka key on one worker, but a SIEM keys by whatever it has, so
// alice's alerts keyed by her e-mail and by her user name reached two
// workers, and both were evaluated against the registry as it stood
// before either was recorded.
func TestSignalsAboutOnePrincipalUnderTwoNamesTakeTurns(t *testing.T) {
	st := demoRegistry(t)
	ev := newOverlapEvaluator()
	ev.hold = func(rules.Input) { time.Sleep(2 * time.Millisecond) }
	p := NewPipeline(st, ev, Guardrails{}, time.Now, discardLog())
	names := []signals.Subject{
		{Type: signals.SubjectEmail, Value: "alice@example.com", Role: signals.RoleTarget},
		{Type: signals.SubjectUsername, Value: "alice", Role: signals.RoleTarget},
		{Type: signals.SubjectAccessKeyID, Value: "AKIAALICEDEMO0000001", Role: signals.RoleCredential},
	}
	var wg sync.WaitGroup
	errs := make(chan error, 24)
	for i := range 24 {
		wg.Go(func() {
			sig := signalNaming(fmt.Sprintf("serial-test-%d", i), names[i%len(names)])
			if _, err := p.ProcessSignal(t.Context(), sig); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := ev.most["alice"]; got != 1 {
		t.Fatalf("at most %d signals about alice were evaluated at once, want 1", got)
	}
}

// TestSignalsAboutOtherPrincipalsDoNotWait: taking turns is per
// principal. alice's evaluation waits inside the policy until dave's has
// begun; were all signals to take turns, it would wait forever.
func TestSignalsAboutOtherPrincipalsDoNotWait(t *testing.T) {
	st := demoRegistry(t)
	ev := newOverlapEvaluator()
	daveBegan := make(chan struct{})
	waited := make(chan bool, 1)
	ev.hold = func(in rules.Input) {
		switch in.Principals[0].ID {
		case "dave":
			close(daveBegan)
		case "alice":
			select {
			case <-daveBegan:
				waited <- false
			case <-time.After(10 * time.Second):
				waited <- true
			}
		}
	}
	p := NewPipeline(st, ev, Guardrails{}, time.Now, discardLog())
	var wg sync.WaitGroup
	wg.Go(func() {
		p.ProcessSignal(t.Context(), signalNaming("serial-alice",
			signals.Subject{Type: signals.SubjectEmail, Value: "alice@example.com",
				Role: signals.RoleTarget}))
	})
	// dave starts once alice is inside the policy.
	for {
		ev.mu.Lock()
		in := ev.running["alice"]
		ev.mu.Unlock()
		if in > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := p.ProcessSignal(t.Context(), signalNaming("serial-dave",
		signals.Subject{Type: signals.SubjectEmail, Value: "dave@example.com",
			Role: signals.RoleTarget})); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if <-waited {
		t.Fatal("dave's signal waited for alice's to finish")
	}
}

// TestASignalNamingTwoPrincipalsInEitherOrderNeverDeadlocks: one signal
// names alice then dave, another dave then alice; each holds both while
// it works, taken in one order.
func TestASignalNamingTwoPrincipalsInEitherOrderNeverDeadlocks(t *testing.T) {
	st := demoRegistry(t)
	ev := newOverlapEvaluator()
	p := NewPipeline(st, ev, Guardrails{}, time.Now, discardLog())
	alice := signals.Subject{Type: signals.SubjectEmail, Value: "alice@example.com", Role: signals.RoleTarget}
	dave := signals.Subject{Type: signals.SubjectEmail, Value: "dave@example.com", Role: signals.RoleTarget}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			subs := []signals.Subject{alice, dave}
			if i%2 == 1 {
				subs = []signals.Subject{dave, alice}
			}
			if _, err := p.ProcessSignal(t.Context(),
				signalNaming(fmt.Sprintf("serial-both-%d", i), subs...)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ev.most["alice"] != 1 || ev.most["dave"] != 1 {
		t.Fatalf("most at once: alice %d, dave %d, want 1 each",
			ev.most["alice"], ev.most["dave"])
	}
	if len(p.serial.held) != 0 {
		t.Fatalf("%d principals still held after every signal finished", len(p.serial.held))
	}
}
