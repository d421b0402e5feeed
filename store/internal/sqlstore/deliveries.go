package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

const deliveryCols = "id, stream_id, event_type, body, state, attempts, " +
	"last_error, created_at, not_before, lease_until, finished_at"

// EnqueueDeliveries stores pending deliveries, skipping those whose
// (stream, id) exists. A delivery of an unknown stream is
// store.ErrInvalid.
func (s *Store) EnqueueDeliveries(ctx context.Context, ds []store.Delivery) error {
	for i, d := range ds {
		if d.ID == "" || d.StreamID == "" || len(d.Body) == 0 {
			return fmt.Errorf("enqueue deliveries: [%d]: id, stream_id "+
				"and body are required: %w", i, store.ErrInvalid)
		}
	}
	return s.Write(ctx, "enqueue deliveries", func(tx Tx) error {
		stmt, err := tx.Prepare(ctx, `INSERT INTO deliveries
			(id, stream_id, event_type, body, state, created_at, not_before)
			SELECT `+s.deliveryRow()+` WHERE EXISTS
			(SELECT 1 FROM streams WHERE id = ?)
			ON CONFLICT (stream_id, id) DO NOTHING`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, d := range ds {
			res, err := stmt.ExecContext(ctx, d.ID, d.StreamID, d.EventType,
				d.Body, store.DeliveryPending, s.TimeArg(d.CreatedAt),
				s.TimeArg(d.NotBefore), d.StreamID)
			if err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
			if err := knownStream(ctx, tx, res, d.StreamID); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return nil
	})
}

// knownStream tells an insert skipped for an unknown stream from one
// skipped as a repeat.
func knownStream(ctx context.Context, tx Tx, res sql.Result, id string) error {
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM streams WHERE id = ?`,
		id).Scan(&one)
	if err == sql.ErrNoRows {
		return fmt.Errorf("stream_id: no stream %q: %w", id, store.ErrInvalid)
	}
	return err
}

// ClaimDeliveries leases runnable deliveries of enabled streams: of
// c.StreamID, or of every stream that is pushed to when it is empty.
func (s *Store) ClaimDeliveries(ctx context.Context,
	c store.DeliveryClaim) ([]store.Delivery, error) {
	op := fmt.Sprintf("claim deliveries for %q", c.Owner)
	switch {
	case c.Owner == "":
		return nil, fmt.Errorf("%s: owner: required: %w", op, store.ErrInvalid)
	case c.Lease <= 0 || c.Limit <= 0:
		return nil, fmt.Errorf("%s: lease %s and limit %d: must be positive: %w",
			op, c.Lease, c.Limit, store.ErrInvalid)
	}
	var out []store.Delivery
	err := s.Write(ctx, op, func(tx Tx) error {
		var err error
		out, err = s.claimDeliveries(ctx, tx, c)
		return err
	})
	return out, err
}

// claimDeliveries is ClaimDeliveries inside tx.
func (s *Store) claimDeliveries(ctx context.Context, tx Tx,
	c store.DeliveryClaim) ([]store.Delivery, error) {
	at := s.TimeArg(c.Now)
	w := where{}
	w.add(`((d.state = ? AND (d.not_before IS NULL OR d.not_before <= ?))
		OR (d.state = ? AND d.lease_until < ?))`, store.DeliveryPending, at,
		store.DeliveryRunning, at)
	w.add("s.status = ?", store.StreamEnabled)
	if c.StreamID != "" {
		w.add("d.stream_id = ?", c.StreamID)
	} else {
		w.add("s.method <> ?", store.DeliveryPoll)
	}
	if len(c.Except) > 0 {
		args := make([]any, len(c.Except))
		for i, id := range c.Except {
			args[i] = id
		}
		w.add("d.stream_id NOT IN ("+placeholders(len(args))+")", args...)
	}
	seqs, err := queryAll(ctx, tx, `SELECT d.seq FROM deliveries d
		JOIN streams s ON s.id = d.stream_id`+w.String()+
		` ORDER BY d.seq LIMIT ?`, append(w.args, c.Limit),
		func(r RowScanner) (n int64, err error) { return n, r.Scan(&n) })
	if err != nil || len(seqs) == 0 {
		return nil, err
	}
	stmt, err := tx.Prepare(ctx, `UPDATE deliveries SET state = ?,
		attempts = attempts + 1, lease_until = ?, lease_owner = ?
		WHERE seq = ? RETURNING `+deliveryCols)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	out := make([]store.Delivery, len(seqs))
	for i, seq := range seqs {
		row := stmt.QueryRowContext(ctx, store.DeliveryRunning,
			s.TimeArg(c.Now.Add(c.Lease)), c.Owner, seq)
		if out[i], err = scanDelivery(row); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scanDelivery scans deliveryCols.
func scanDelivery(r RowScanner) (store.Delivery, error) {
	var d store.Delivery
	err := r.Scan(&d.ID, &d.StreamID, &d.EventType, &d.Body, &d.State,
		&d.Attempts, &d.LastError, timeCol{&d.CreatedAt},
		timeCol{&d.NotBefore}, timeCol{&d.LeaseUntil},
		timeCol{&d.FinishedAt})
	return d, err
}

// FinishDeliveries moves pending or running deliveries to done or
// failed.
func (s *Store) FinishDeliveries(ctx context.Context, streamID string,
	ids []string, state, lastErr string, at time.Time) (int, error) {
	op := fmt.Sprintf("finish deliveries of stream %q", streamID)
	if state != store.DeliveryDone && state != store.DeliveryFailed {
		return 0, fmt.Errorf("%s: state: %q is not done or failed: %w",
			op, state, store.ErrInvalid)
	}
	var n int64
	err := s.Write(ctx, op, func(tx Tx) error {
		stmt, err := tx.Prepare(ctx, `UPDATE deliveries SET state = ?,
			last_error = ?, finished_at = ?, lease_until = NULL,
			lease_owner = '' WHERE stream_id = ? AND id = ?
			AND state IN (?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, id := range ids {
			res, err := stmt.ExecContext(ctx, state, diagnostic(lastErr), s.TimeArg(at),
				streamID, id, store.DeliveryPending, store.DeliveryRunning)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += k
		}
		return nil
	})
	return int(n), err
}

// RetryDelivery puts a running delivery back to pending until notBefore.
func (s *Store) RetryDelivery(ctx context.Context, streamID, id,
	lastErr string, notBefore time.Time) error {
	op := fmt.Sprintf("retry delivery %q of stream %q", id, streamID)
	return s.Write(ctx, op, func(tx Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = ?,
			last_error = ?, not_before = ?, lease_until = NULL,
			lease_owner = '' WHERE stream_id = ? AND id = ? AND state = ?`,
			store.DeliveryPending, diagnostic(lastErr), s.TimeArg(notBefore),
			streamID,
			id, store.DeliveryRunning)
		if err != nil {
			return err
		}
		return MustAffect(res, "running delivery", id)
	})
}

// ListDeliveries returns the deliveries f selects, oldest first.
func (s *Store) ListDeliveries(ctx context.Context,
	f store.DeliveryFilter) ([]store.Delivery, error) {
	limit, err := limitClause(f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	var w where
	w.eq("stream_id", f.StreamID)
	w.eq("state", f.State)
	ds, err := queryAll(ctx, s.Read, `SELECT `+deliveryCols+
		` FROM deliveries`+w.String()+` ORDER BY seq`+limit, w.args,
		scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return ds, nil
}

// ExpireDeliveries fails the deliveries queued before cutoff that nobody
// took in time.
func (s *Store) ExpireDeliveries(ctx context.Context, cutoff time.Time,
	lastErr string, at time.Time) (int, error) {
	var n int64
	err := s.Write(ctx, "expire deliveries", func(tx Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = ?,
			last_error = ?, finished_at = ?, lease_until = NULL,
			lease_owner = '' WHERE created_at < ? AND (state = ?
			OR (state = ? AND lease_until < ?))`, store.DeliveryFailed,
			diagnostic(lastErr), s.TimeArg(at), s.TimeArg(cutoff),
			store.DeliveryPending, store.DeliveryRunning, s.TimeArg(at))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// PruneDeliveries deletes the done and failed deliveries finished before
// cutoff.
func (s *Store) PruneDeliveries(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := s.Write(ctx, "prune deliveries", func(tx Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM deliveries
			WHERE state IN (?, ?) AND finished_at < ?`, store.DeliveryDone,
			store.DeliveryFailed, s.TimeArg(cutoff))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
