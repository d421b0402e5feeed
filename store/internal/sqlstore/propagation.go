package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// RotateSigningKey stores k as the active signing key and retires every
// other active key at k.CreatedAt, in one transaction.
func (s *Store) RotateSigningKey(ctx context.Context, k store.SigningKey) error {
	op := fmt.Sprintf("rotate signing key %q", k.ID)
	switch {
	case k.ID == "":
		return fmt.Errorf("%s: kid: required: %w", op, store.ErrInvalid)
	case k.Algorithm != "ES256" && k.Algorithm != "RS256":
		return fmt.Errorf("%s: alg: %q is not ES256 or RS256: %w",
			op, k.Algorithm, store.ErrInvalid)
	case k.Private == "":
		return fmt.Errorf("%s: private: required: %w", op, store.ErrInvalid)
	case k.CreatedAt.IsZero():
		return fmt.Errorf("%s: created_at: required: %w", op, store.ErrInvalid)
	}
	return s.Write(ctx, op, func(tx Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE signing_keys
			SET retired_at = ? WHERE retired_at IS NULL`,
			s.TimeArg(k.CreatedAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO signing_keys
			(kid, alg, private_der, created_at) VALUES (?, ?, ?, ?)`,
			k.ID, k.Algorithm, []byte(k.Private.Reveal()),
			s.TimeArg(k.CreatedAt))
		return err
	})
}

// ListSigningKeys returns every signing key, newest first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	ks, err := queryAll(ctx, s.Read, `SELECT kid, alg, private_der,
		created_at, retired_at FROM signing_keys
		ORDER BY created_at DESC, kid DESC`, nil,
		func(r RowScanner) (store.SigningKey, error) {
			var k store.SigningKey
			var der []byte
			err := r.Scan(&k.ID, &k.Algorithm, &der,
				timeCol{&k.CreatedAt}, timeCol{&k.RetiredAt})
			k.Private = store.Secret(der)
			return k, err
		})
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return ks, nil
}

// PruneSigningKeys deletes the keys retired before cutoff.
func (s *Store) PruneSigningKeys(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := s.Write(ctx, "prune signing keys", func(tx Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM signing_keys
			WHERE retired_at IS NOT NULL AND retired_at < ?`, s.TimeArg(cutoff))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// streamCols are the columns of streams, in scanStream order, with d's
// name for the Authorization header's.
func (d Dialect) streamCols() string {
	return "id, audience, method, endpoint_url, " + d.authorizationCol() +
		", signing_secret, events_requested, events_delivered, " +
		"description, status, status_reason, excluded, created_at, updated_at"
}

// streamMethods are the delivery methods a stream may use.
var streamMethods = []string{store.DeliveryPush, store.DeliveryPoll,
	store.DeliveryWebhook}

// streamStatuses are the statuses a stream may have.
var streamStatuses = []string{store.StreamEnabled, store.StreamPaused,
	store.StreamDisabled}

// PutStream inserts or replaces a stream; an empty id gets a generated
// "str_" one, and an empty status is enabled.
func (s *Store) PutStream(ctx context.Context, st store.Stream) error {
	if st.ID == "" {
		st.ID = NewID("str_")
	}
	if st.Status == "" {
		st.Status = store.StreamEnabled
	}
	op := fmt.Sprintf("put stream %q", st.ID)
	if err := checkStream(st); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	args, err := s.streamArgs(st)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return s.Write(ctx, op, func(tx Tx) error {
		_, err := tx.ExecContext(ctx, s.upsertStream(), args...)
		return err
	})
}

// upsertStream inserts or replaces a stream, given streamArgs.
func (d Dialect) upsertStream() string {
	cols, auth := d.streamCols(), d.authorizationCol()
	return `INSERT INTO streams (` + cols + `) VALUES (` +
		placeholders(strings.Count(cols, ",")+1) + `)
		ON CONFLICT (id) DO UPDATE SET audience = excluded.audience,
		method = excluded.method, endpoint_url = excluded.endpoint_url,
		` + auth + ` = excluded.` + auth + `,
		signing_secret = excluded.signing_secret,
		events_requested = excluded.events_requested,
		events_delivered = excluded.events_delivered,
		description = excluded.description, status = excluded.status,
		status_reason = excluded.status_reason,
		excluded = excluded.excluded, created_at = excluded.created_at,
		updated_at = excluded.updated_at`
}

// UpdateStream changes a stream in one write transaction (see
// store.Propagation).
func (s *Store) UpdateStream(ctx context.Context, id string,
	change func(*store.Stream) error) (store.Stream, error) {
	op := fmt.Sprintf("update stream %q", id)
	var out store.Stream
	err := s.Write(ctx, op, func(tx Tx) error {
		st, err := scanStream(tx.QueryRowContext(ctx,
			`SELECT `+s.streamCols()+` FROM streams WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := change(&st); err != nil {
			return err
		}
		st.ID = id
		if err := checkStream(st); err != nil {
			return err
		}
		args, err := s.streamArgs(st)
		if err != nil {
			return err
		}
		out = st
		_, err = tx.ExecContext(ctx, s.upsertStream(), args...)
		return err
	})
	return out, err
}

// checkStream names the field of st that breaks the data model.
func checkStream(st store.Stream) error {
	switch {
	case !slices.Contains(streamMethods, st.Method):
		return fmt.Errorf("method: unknown delivery method %q: %w",
			st.Method, store.ErrInvalid)
	case st.Method != store.DeliveryPoll && st.EndpointURL == "":
		return fmt.Errorf("endpoint_url: required for %s: %w",
			st.Method, store.ErrInvalid)
	case !slices.Contains(streamStatuses, st.Status):
		return fmt.Errorf("status: unknown stream status %q: %w",
			st.Status, store.ErrInvalid)
	}
	for i, x := range st.Excluded {
		if !json.Valid(x) {
			return fmt.Errorf("excluded_subjects[%d]: not valid JSON: %w",
				i, store.ErrInvalid)
		}
	}
	return nil
}

// streamArgs are the values of streamCols for st.
func (d Dialect) streamArgs(st store.Stream) ([]any, error) {
	lists := make([]any, 4)
	for i, v := range []any{orEmpty(st.Audience), orEmpty(st.EventsRequested),
		orEmpty(st.EventsDelivered), orEmpty(st.Excluded)} {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		lists[i] = string(b)
	}
	return []any{st.ID, lists[0], st.Method, st.EndpointURL,
		st.Authorization.Reveal(), st.SigningSecret.Reveal(), lists[1],
		lists[2], st.Description, st.Status, st.StatusReason, lists[3],
		d.TimeArg(st.CreatedAt), d.TimeArg(st.UpdatedAt)}, nil
}

// orEmpty is s, or an empty slice for nil, so that it encodes as [].
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// scanStream scans streamCols.
func scanStream(r RowScanner) (store.Stream, error) {
	var st store.Stream
	var auth, secret string
	err := r.Scan(&st.ID, jsonCol{&st.Audience}, &st.Method,
		&st.EndpointURL, &auth, &secret, jsonCol{&st.EventsRequested},
		jsonCol{&st.EventsDelivered}, &st.Description, &st.Status,
		&st.StatusReason, jsonCol{&st.Excluded}, timeCol{&st.CreatedAt},
		timeCol{&st.UpdatedAt})
	st.Authorization, st.SigningSecret = store.Secret(auth), store.Secret(secret)
	st.Audience = nilIfEmpty(st.Audience)
	st.EventsRequested = nilIfEmpty(st.EventsRequested)
	st.EventsDelivered = nilIfEmpty(st.EventsDelivered)
	st.Excluded = nilIfEmpty(st.Excluded)
	return st, err
}

// nilIfEmpty reads an empty list back as nil, as it was written.
func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// GetStream returns the stream, or store.ErrNotFound.
func (s *Store) GetStream(ctx context.Context, id string) (store.Stream, error) {
	st, err := scanStream(s.Read.QueryRowContext(ctx,
		`SELECT `+s.streamCols()+` FROM streams WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return st, fmt.Errorf("get stream %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("get stream %q: %w", id, err)
	}
	return st, nil
}

// ListStreams returns every stream, oldest first.
func (s *Store) ListStreams(ctx context.Context) ([]store.Stream, error) {
	sts, err := queryAll(ctx, s.Read, `SELECT `+s.streamCols()+
		` FROM streams ORDER BY created_at, id`, nil, scanStream)
	if err != nil {
		return nil, fmt.Errorf("list streams: %w", err)
	}
	return sts, nil
}

// DeleteStream deletes a stream and, by cascade, its deliveries.
func (s *Store) DeleteStream(ctx context.Context, id string) error {
	op := fmt.Sprintf("delete stream %q", id)
	return s.Write(ctx, op, func(tx Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM streams WHERE id = ?`, id)
		if err != nil {
			return err
		}
		return MustAffect(res, "stream", id)
	})
}
