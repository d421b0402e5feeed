package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/killswitch-dev/killswitch/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrateAttempts bounds the retries of a migration that another
// process raced.
const migrateAttempts = 5

// migrate brings db to the newest schema version. Applied versions are
// recorded in goose's table, so running it again changes nothing.
//
// Processes that open a new file at the same moment race to migrate it.
// The loser fails inside a migration transaction, which rolls back: it
// found the file locked past the busy timeout, or it read the applied
// versions before the winner recorded one and then found that
// migration's change made (a duplicate column). Either way it tries
// again from the versions now recorded, until none is pending; with
// more migrations, the second case is the common one. A migration that
// is broken in itself fails every attempt and is reported.
func migrate(ctx context.Context, db *sql.DB) error {
	p, err := provider(db)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for attempt := 1; ; attempt++ {
		// The first read of a new file can find it locked while another
		// process sets it up (WAL mode), so it is inside the retries.
		err = refuseNewer(ctx, db, p)
		var newer *sqlstore.NewerError
		if errors.As(err, &newer) {
			return fmt.Errorf("migrate: %w", err)
		}
		if err == nil {
			_, err = p.Up(ctx)
			if err == nil {
				return nil
			}
			if pending, perr := p.HasPending(ctx); perr == nil && !pending {
				return nil
			}
		}
		if attempt == migrateAttempts {
			return fmt.Errorf("migrate: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("migrate: %w", ctx.Err())
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		}
	}
}

// refuseNewer is sqlstore.RefuseNewer on the migrations db holds.
func refuseNewer(ctx context.Context, db *sql.DB, p *goose.Provider) error {
	applied, err := appliedVersions(ctx, db)
	if err != nil {
		return err
	}
	return sqlstore.RefuseNewer(p, applied)
}

// appliedVersions lists the migrations goose recorded, none for a new
// file.
func appliedVersions(ctx context.Context, db *sql.DB) ([]int64, error) {
	var tables int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master
		WHERE type = 'table' AND name = 'goose_db_version'`).Scan(&tables)
	if err != nil || tables == 0 {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT version_id
		FROM goose_db_version WHERE version_id > 0 ORDER BY version_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// provider is a goose provider of the embedded migrations on db.
//
// Migration numbers are handed out to changes developed side by side,
// so they land in any order: a registry may already be at 9 when 5
// arrives. The migrations touch separate tables and columns, so a
// missing lower one is applied late rather than refusing the file.
func provider(db *sql.DB) (*goose.Provider, error) {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return providerOf(db, dir)
}

// providerOf is a goose provider of the migrations in dir on db.
func providerOf(db *sql.DB, dir fs.FS) (*goose.Provider, error) {
	return goose.NewProvider(goose.DialectSQLite3, db, dir,
		goose.WithDisableGlobalRegistry(true),
		goose.WithAllowOutofOrder(true))
}
