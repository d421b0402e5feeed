package store

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

var (
	// ErrLocked: a lock in force refuses a new session or credential.
	// The error is a *LockedError naming the lock.
	ErrLocked = errors.New("locked")
	// ErrNotAwaiting: an approval, rejection or expiry was asked of an
	// action that is not awaiting approval (decided already, or never
	// held).
	ErrNotAwaiting = errors.New("not awaiting approval")
)

// LockedError is what PutSession and PutCredential return when a lock in
// force covers the new record. errors.Is(err, ErrLocked) holds.
type LockedError struct {
	// What names the refused record: "session ses_1".
	What string
	Lock Lock
}

func (e *LockedError) Error() string {
	l := e.Lock
	msg := fmt.Sprintf("%s: refused by lock %s on %s %s (%q, by %s",
		e.What, l.ID, l.TargetType, l.Target, l.Reason, l.CreatedBy)
	if !l.ExpiresAt.IsZero() {
		msg += ", until " + l.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return msg + ")"
}

// Is makes errors.Is(err, ErrLocked) hold.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// LockQuery names what a session or credential would use: a lock on any
// of them covers it. Empty fields match no lock.
type LockQuery struct {
	PrincipalID  string
	CredentialID string
	Device       string
	// IP is matched against origin locks, which name an address or a
	// CIDR prefix.
	IP string
}

// SessionLockQuery is the LockQuery of a session.
func SessionLockQuery(s Session) LockQuery {
	return LockQuery{PrincipalID: s.PrincipalID,
		CredentialID: s.CredentialID, Device: s.Origin.Device,
		IP: s.Origin.IP}
}

// Covers reports whether lock l, in force or not, applies to q.
func (q LockQuery) Covers(l Lock) bool {
	switch l.TargetType {
	case "principal":
		return q.PrincipalID != "" && l.Target == q.PrincipalID
	case "credential":
		return q.CredentialID != "" && l.Target == q.CredentialID
	case "device":
		return q.Device != "" && l.Target == q.Device
	case "origin":
		return originCovers(l.Target, q.IP)
	}
	return false
}

// originCovers reports whether an origin lock's target, an address or a
// CIDR prefix, contains ip.
func originCovers(target, ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	if strings.Contains(target, "/") {
		p, err := netip.ParsePrefix(target)
		return err == nil && p.Contains(addr)
	}
	t, err := netip.ParseAddr(target)
	return err == nil && t.Unmap() == addr
}

// CheckOrigin says why target cannot be an origin lock's: it must be an
// IP address or a CIDR prefix that some session's origin can match and
// not every one does. An address with a zone, the unspecified address
// and an IPv4-mapped prefix match no origin (origins are stored without
// zone, IPv4 as IPv4); a prefix of length 0 is every address, which
// would blind the registry to every new session rather than lock one
// origin.
func CheckOrigin(target string) error {
	if addr, err := netip.ParseAddr(target); err == nil {
		switch {
		case addr.Zone() != "":
			return fmt.Errorf("%q: an address with a zone matches no "+
				"origin", target)
		case addr.IsUnspecified():
			return fmt.Errorf("%q: the unspecified address names no "+
				"origin", target)
		}
		return nil
	}
	p, err := netip.ParsePrefix(target)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not an IP address or a CIDR prefix", target)
	case p.Bits() == 0:
		return fmt.Errorf("%q is every address: lock principals, "+
			"credentials or narrower prefixes instead", target)
	case p.Addr().Is4In6():
		return fmt.Errorf("%q: an IPv4-mapped prefix matches no origin: "+
			"write it as an IPv4 prefix", target)
	case p != p.Masked():
		// 10.0.0.1/8 is stored as typed and locks all of 10.0.0.0/8;
		// whoever typed it may have meant the one address.
		return fmt.Errorf("%q sets address bits past /%d: write %s for "+
			"the whole network or %s for the one address", target,
			p.Bits(), p.Masked(), netip.PrefixFrom(p.Addr(), p.Addr().BitLen()))
	}
	return nil
}

// Budget bounds how many actions run on their own in a sliding window.
// Empty Kind, Policy and PrincipalKind match every action; set ones
// narrow the budget to actions with that kind, policy rule and kind of
// target principal.
type Budget struct {
	// Name identifies the budget in logs, audit entries and metrics.
	Name          string        `json:"name"`
	Limit         int           `json:"limit"`
	Window        time.Duration `json:"window"`
	Kind          string        `json:"kind,omitempty"`
	Policy        string        `json:"policy,omitempty"`
	PrincipalKind PrincipalKind `json:"principal_kind,omitempty"`
}

// Matches reports whether the budget counts a.
func (b Budget) Matches(a Action) bool {
	return (b.Kind == "" || b.Kind == a.Kind) &&
		(b.Policy == "" || b.Policy == a.Policy) &&
		(b.PrincipalKind == "" || b.PrincipalKind == a.PrincipalKind)
}

// Trip is one action a budget held for approval: Count actions it covers
// ran or were to run in the window already.
type Trip struct {
	Budget   Budget
	ActionID string
	Count    int
}

// BudgetedStates are the states of the actions a budget counts: those
// that ran or are to run on their own (or were approved). Actions held,
// skipped or rejected do not count. An action counts from when it was
// let run: its verdict's time when it waited for one, else its
// creation.
var BudgetedStates = []string{ActionPending, ActionRunning, ActionDone,
	ActionFailed}

// GuardAudit builds the audit entries of a guarded write from the
// actions as stored; it runs inside the write's transaction.
type GuardAudit func(actions []Action, trips []Trip) []AuditEntry

// Guard is the part of the registry the guardrails need to be correct
// with several engines on one store: budgets counted and applied, and
// approvals decided, each in one transaction.
type Guard interface {
	// RecordGuarded is RecordSignal under budgets. In its transaction,
	// each pending action a budget matches is counted with the actions
	// in BudgetedStates the budget matches created in (now-Window, now],
	// and those before it in this call; when that would pass the
	// Limit, the action is stored awaiting approval instead, with
	// LastError naming the budget, and a Trip is returned. audit, when
	// not nil, builds the entries appended with the signal. Before the
	// budgets, a pending action whose CoalesceKey a pending action holds
	// already is stored skipped (see Action.CoalesceKey). It returns the
	// actions as stored (none when the signal was recorded before).
	RecordGuarded(ctx context.Context, rec SignalRecord, actions []Action,
		budgets []Budget, now time.Time,
		audit GuardAudit) (recorded bool, stored []Action, trips []Trip, err error)
	// DecideApproval approves (Verdict approved: the action becomes
	// pending) or rejects (rejected: skipped) an action awaiting
	// approval, recording v and appending audit(action) in the same
	// transaction. An action not awaiting approval is ErrNotAwaiting,
	// with its state and any earlier verdict in the message.
	DecideApproval(ctx context.Context, id string, v Verdict,
		audit func(Action) []AuditEntry) (Action, error)
	// ExpireApprovals ends the wait of every action awaiting approval
	// whose ApprovalDeadline is not after now: OnTimeoutExecute makes it
	// pending, anything else skipped, with Verdict expired by by. An
	// action that would then run on its own is counted under budgets as
	// RecordGuarded counts: one that would pass a Limit stays awaiting
	// approval, with no deadline (a person decides) and LastError naming
	// the budget, and is returned as a Trip. In the same transaction it
	// appends audit(expired, trips) and returns them.
	ExpireApprovals(ctx context.Context, now time.Time, by string,
		budgets []Budget, audit GuardAudit) ([]Action, []Trip, error)
	// LiftLock ends a lock in force, keeping its record with who lifted
	// it, when and why. A lock lifted or expired already is ErrInvalid;
	// an unknown id ErrNotFound.
	LiftLock(ctx context.Context, id, by, reason string, at time.Time) (Lock, error)
	// LockedBy returns the locks in force at now that cover q: a session
	// or credential they cover is inactive, and a new one is refused.
	LockedBy(ctx context.Context, q LockQuery, now time.Time) ([]Lock, error)
}

// AwaitsVerdict returns ErrNotAwaiting, saying what became of a, unless a
// awaits approval and a verdict given at may still decide it: past its
// ApprovalDeadline the wait is over, and the action's OnTimeout decides
// it when approvals are next expired, not a late approver. A stalled
// expiry loop (run stopped, or between two of its rounds) let an
// approval given after the deadline run an action whose on_timeout was
// skip.
func AwaitsVerdict(a Action, at time.Time) error {
	if a.State != ActionAwaitingApproval {
		if v := a.Verdict; v != nil {
			return fmt.Errorf("%w: it is %s, %s by %s at %s",
				ErrNotAwaiting, a.State, v.Verdict, v.By,
				v.At.Format(time.RFC3339))
		}
		return fmt.Errorf("%w: it is %s and was never held",
			ErrNotAwaiting, a.State)
	}
	if !a.ApprovalDeadline.IsZero() && !at.Before(a.ApprovalDeadline) {
		then := "it is skipped"
		if a.OnTimeout == OnTimeoutExecute {
			then = "it runs"
		}
		return fmt.Errorf("%w: its approval deadline passed at %s; on timeout %s",
			ErrNotAwaiting, a.ApprovalDeadline.Format(time.RFC3339), then)
	}
	return nil
}
