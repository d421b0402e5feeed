package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/killswitch-dev/killswitch/rules"
	"github.com/killswitch-dev/killswitch/signals"
	"github.com/killswitch-dev/killswitch/store"
)

// Poison codes say why a message went to the dead-letter topic. They are
// stable: DLQ headers, audit entries and metrics use them.
const (
	CodeDecodeError = "decode_error"
	CodePolicyError = "policy_error"
	// CodeInternalError: processing the message panicked. The panic is
	// logged with its stack; the message is kept on the DLQ to replay
	// once the fault is fixed.
	CodeInternalError = "internal_error"
)

// PoisonError is a message that can never be processed: retrying it would
// fail the same way. It goes to the dead-letter topic with its reason.
type PoisonError struct {
	Code string
	Err  error
}

func (e *PoisonError) Error() string { return e.Code + ": " + e.Err.Error() }

func (e *PoisonError) Unwrap() error { return e.Err }

// Outcome is what processing one message did.
type Outcome struct {
	Signal    signals.Signal
	SignalID  string
	Duplicate bool
	// Input is what the policies were shown.
	Input    rules.Input
	Decision rules.Decision
	Actions  []store.Action
}

// PayloadDecoder decodes one alert payload into a signal; an error is
// the payload's fault, and the payload is dead-lettered with it.
// *signals.Mappings is one. Decode is called concurrently.
type PayloadDecoder interface {
	Decode(payload []byte) (signals.Signal, error)
}

// Pipeline turns one payload into actions in the outbox. It is safe for
// concurrent use: signals about one principal (however each names it)
// are processed one at a time, from enrichment to the outbox write;
// signals about different principals run side by side.
type Pipeline struct {
	store  store.Store
	eval   Evaluator
	clock  Clock
	log    *slog.Logger
	guard  Guardrails
	serial principalSerial
	// decoder is ServiceConfig.Decoder; nil uses signals.Decode.
	decoder PayloadDecoder
	// metrics is set by NewService; nil records nothing.
	metrics *Metrics
}

// NewPipeline builds a pipeline over a registry and a policy evaluator.
func NewPipeline(st store.Store, ev Evaluator, g Guardrails, clock Clock,
	log *slog.Logger) *Pipeline {
	return &Pipeline{store: st, eval: ev, clock: clock, guard: g,
		log: log.With("component", "pipeline")}
}

// Process decodes, evaluates and plans one payload and writes its actions
// to the outbox. A *PoisonError means the payload can never be processed;
// any other error is transient and the caller retries.
func (p *Pipeline) Process(ctx context.Context, payload []byte) (Outcome, error) {
	decode := signals.Decode
	if p.decoder != nil {
		decode = p.decoder.Decode
	}
	sig, err := decode(payload)
	if err != nil {
		return Outcome{}, &PoisonError{Code: CodeDecodeError, Err: err}
	}
	return p.ProcessSignal(ctx, sig)
}

// ProcessSignal is Process for a signal decoded already.
func (p *Pipeline) ProcessSignal(ctx context.Context, sig signals.Signal) (Outcome, error) {
	now := p.clock().UTC()
	sig = datedByReceipt(sig, now)
	res, err := resolve(ctx, p.store, sig)
	if err != nil {
		return Outcome{}, fmt.Errorf("enrich signal %s: %w", sig.DedupKey, err)
	}
	ids := slices.Collect(maps.Keys(res.principals))
	defer p.serial.lock(ids)()
	if l, ok := p.store.(PrincipalLocker); ok {
		unlock, err := l.LockPrincipals(ctx, ids)
		if err != nil {
			return Outcome{}, fmt.Errorf("signal %s: %w", sig.DedupKey, err)
		}
		defer unlock()
	}
	in, err := enrichResolved(ctx, p.store, sig, res, now)
	if err != nil {
		return Outcome{}, fmt.Errorf("enrich signal %s: %w", sig.DedupKey, err)
	}
	sig = in.Signal
	dec, err := p.eval.Evaluate(ctx, in)
	if rules.IsPolicyError(err) {
		p.metrics.policyFailed()
		return Outcome{Signal: sig, Input: in},
			&PoisonError{Code: CodePolicyError, Err: err}
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("evaluate signal %s: %w", sig.DedupKey, err)
	}
	out, err := p.plan(ctx, sig, in, dec, now)
	if err != nil {
		return Outcome{}, err
	}
	inserted, err := p.record(ctx, &out, in, now)
	if err != nil {
		return Outcome{}, err
	}
	out.Duplicate = !inserted
	if inserted {
		p.metrics.decided(out.Actions)
		p.recordExposures(ctx, sig, in, out.SignalID)
	}
	return out, nil
}

// plan applies the guardrails to dec, with protected and break-glass
// principals named by alias found in the registry.
func (p *Pipeline) plan(ctx context.Context, sig signals.Signal,
	in rules.Input, dec rules.Decision, now time.Time) (Outcome, error) {
	g, dec, err := p.guard.ByAlias(ctx, p.store, in, dec)
	if err != nil {
		return Outcome{}, fmt.Errorf("guard signal %s: %w", sig.DedupKey, err)
	}
	out := Outcome{Signal: sig, SignalID: signalID(sig), Input: in,
		Decision: dec}
	out.Actions = g.Plan(out.SignalID, sig, in, dec, dec.Revision, now)
	return out, nil
}

// record stores the signal, its decision's actions under the budgets,
// and the audit entries, in one write; out.Actions become the actions as
// stored (a budget may have held some).
func (p *Pipeline) record(ctx context.Context, out *Outcome, in rules.Input,
	now time.Time) (bool, error) {
	sigJSON, err := json.Marshal(out.Signal)
	if err != nil {
		return false, fmt.Errorf("encode signal: %w", err)
	}
	decJSON, err := json.Marshal(out.Decision)
	if err != nil {
		return false, fmt.Errorf("encode decision: %w", err)
	}
	rec := store.SignalRecord{
		ID: out.SignalID, DedupKey: out.Signal.DedupKey,
		Format: string(out.Signal.Format), Category: string(out.Signal.Category),
		Severity: string(out.Signal.Severity), Time: out.Signal.Time,
		ReceivedAt: now, PolicyRevision: out.Decision.Revision,
		Signal: sigJSON, Decision: decJSON,
	}
	audit := func(as []store.Action, trips []store.Trip) []store.AuditEntry {
		final := *out
		final.Actions = as
		return append(decisionAudit(final, in, out.Decision.Revision, now),
			tripAudit(trips, now)...)
	}
	ok, stored, trips, err := p.store.RecordGuarded(ctx, rec, out.Actions,
		p.guard.budgetsFor(out.Decision), now, audit)
	if err != nil {
		return false, fmt.Errorf("record signal %s: %w", rec.DedupKey, err)
	}
	if ok {
		out.Actions = stored
		p.reportTrips(*out, trips)
	}
	return ok, nil
}
