package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

const auditCols = "seq, time, actor, event, subject, details, prev_hash, " +
	"hash"

// AppendAudit appends entries in order. Each gets the next Seq, the hash
// of the entry before it as PrevHash (store.GenesisHash for the first)
// and its store.ChainHash; a zero Time is now. Details must be empty or
// valid JSON and are stored byte for byte.
func (s *Store) AppendAudit(ctx context.Context, entries ...store.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return s.Write(ctx, "append audit", func(tx Tx) error {
		return s.appendAudit(ctx, tx, entries)
	})
}

// appendAudit chains entries onto the last one inside tx. The write
// transaction holds the registry's write lock from its start, so no
// other append, from this instance or another, can read the same last
// entry and fork the chain.
func (s *Store) appendAudit(ctx context.Context, tx Tx, entries []store.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	seq, prev, err := lastAudit(ctx, tx)
	if err != nil {
		return err
	}
	stmt, err := tx.Prepare(ctx, `INSERT INTO audit (`+auditCols+
		`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	now := time.Now()
	for i, e := range entries {
		if err := checkJSON(fmt.Sprintf("audit[%d].details", i), e.Details); err != nil {
			return err
		}
		e = chain(e, seq+1, prev, now)
		if _, err := stmt.ExecContext(ctx, e.Seq, s.TimeArg(e.Time), e.Actor,
			e.Event, e.Subject, rawArg(e.Details), e.PrevHash, e.Hash); err != nil {
			return err
		}
		seq, prev = e.Seq, e.Hash
	}
	return nil
}

// chain sets e's place in the chain and its hash.
func chain(e store.AuditEntry, seq int64, prev string, now time.Time) store.AuditEntry {
	if e.Time.IsZero() {
		e.Time = now
	}
	e.Time = store.NormalizeTime(e.Time)
	e.Seq, e.PrevHash = seq, prev
	e.Hash = store.ChainHash(e)
	return e
}

// lastAudit returns the last entry's seq and hash, or 0 and
// store.GenesisHash for an empty trail.
func lastAudit(ctx context.Context, tx Tx) (int64, string, error) {
	var seq int64
	var hash string
	err := tx.QueryRowContext(ctx,
		`SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).
		Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.GenesisHash, nil
	}
	return seq, hash, err
}

// ListAudit returns the entries matching f in sequence order.
func (s *Store) ListAudit(ctx context.Context,
	f store.AuditFilter) ([]store.AuditEntry, error) {
	limit, err := limitClause(f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	var w where
	if f.AfterSeq > 0 {
		w.add("seq > ?", f.AfterSeq)
	}
	w.eq("subject", f.Subject)
	order := ` ORDER BY seq`
	if f.Latest {
		order = ` ORDER BY seq DESC`
	}
	es, err := queryAll(ctx, s.Read, `SELECT `+auditCols+` FROM audit`+
		w.String()+order+limit, w.args, scanAudit)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	if f.Latest {
		slices.Reverse(es)
	}
	return es, nil
}

// scanAudit scans auditCols.
func scanAudit(r RowScanner) (store.AuditEntry, error) {
	var e store.AuditEntry
	err := r.Scan(&e.Seq, timeCol{&e.Time}, &e.Actor, &e.Event,
		&e.Subject, rawCol{&e.Details}, &e.PrevHash, &e.Hash)
	return e, err
}
