package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
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
		_, err = p.Up(ctx)
		if err == nil {
			return nil
		}
		if pending, perr := p.HasPending(ctx); perr == nil && !pending {
			return nil
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
