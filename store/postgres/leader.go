package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// leaderLockSpace is the high half of the leader's lock key, "ks", 3;
// the low half is the oid of the registry's schema, as for the write
// and migration locks, so that each registry of a database has a leader
// of its own. The principal locks are two-key locks, which PostgreSQL
// keeps apart from every one-key lock (pg_locks.objsubid 2, not 1). The
// key is fixed: instances of two versions that chose different keys
// would both lead.
const leaderLockSpace = 0x6b730003

// leaderAttempt bounds one attempt to connect and take the lock.
const leaderAttempt = 10 * time.Second

// ElectLeader campaigns, until ctx is done, to be the one leader of the
// instances sharing this registry (sweeps.Elector): the instance that
// holds a session advisory lock (pg_try_advisory_lock) on a connection
// of its own, outside the pools, that does nothing else. It tries every
// retry while another instance leads or the server cannot be reached,
// and calls report after each attempt: whether this instance leads, and
// why it could not ask (nil when it could).
//
// While leading it waits on the connection for the server to end it
// (pg_terminate_backend, a failover, a restart), which PostgreSQL says
// at once, and pings it every retry, which finds a connection that died
// silently; either way the session and its lock are gone, another
// instance may lead already, and report(false, err) says so at once.
// An instance that lost the lead waits two intervals before it tries
// again, so that an instance that followed, trying every interval,
// takes over first. When ctx is done, the connection is closed, which
// ends the lock; report is not called then.
func (s *Store) ElectLeader(ctx context.Context, retry time.Duration,
	report func(leading bool, err error)) {
	c := &candidate{s: s}
	defer c.close()
	for ctx.Err() == nil {
		leading, err := c.try(ctx)
		if ctx.Err() != nil {
			return
		}
		report(leading, err)
		wait := retry
		if leading {
			err := c.hold(ctx, retry)
			if ctx.Err() != nil {
				return
			}
			report(false, err)
			wait = 2 * retry
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// candidate is an instance's connection for the leader's lock.
type candidate struct {
	s    *Store
	conn *pgx.Conn
}

// try connects unless connected and tries to take the lock.
func (c *candidate) try(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, leaderAttempt)
	defer cancel()
	if c.conn == nil {
		conn, err := pgx.ConnectConfig(ctx, c.s.connConfig)
		if err != nil {
			return false, fmt.Errorf("leader lock: connect: %w",
				c.s.redact(err))
		}
		c.conn = conn
	}
	var got bool
	err := c.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`,
		c.s.leaderLock).Scan(&got)
	if err != nil {
		c.close()
		return false, fmt.Errorf("leader lock: %w", err)
	}
	return got, nil
}

// hold waits until the connection holding the lock is lost, and says
// why, or until ctx is done.
func (c *candidate) hold(ctx context.Context, retry time.Duration) error {
	for {
		err := c.wait(ctx, retry)
		if err == nil {
			err = c.ping(ctx, retry)
		}
		if err != nil || ctx.Err() != nil {
			c.close()
			return err
		}
	}
}

// wait reads from the connection for up to d. Nothing is asked on it,
// so what the server sends is that it is ending the session; a read
// that times out leaves the connection as it was.
func (c *candidate) wait(ctx context.Context, d time.Duration) error {
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	err := c.conn.PgConn().WaitForNotification(wctx)
	if err == nil || pgconn.Timeout(err) {
		return nil
	}
	return fmt.Errorf("leader lock: connection lost: %w", err)
}

// ping asks the server for an answer within d.
func (c *candidate) ping(ctx context.Context, d time.Duration) error {
	pctx, cancel := context.WithTimeout(ctx, max(d, time.Second))
	defer cancel()
	if err := c.conn.Ping(pctx); err != nil {
		return fmt.Errorf("leader lock: connection lost: %w", err)
	}
	return nil
}

// close closes the connection, which ends the lock if it held it.
func (c *candidate) close() {
	if c.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = c.conn.Close(ctx)
	c.conn = nil
}
