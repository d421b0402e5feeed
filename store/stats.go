package store

import "context"

// Stats is what monitoring reads from the registry: whether it answers,
// and how many actions wait in the outbox. Both are cheap enough to call
// at every metrics scrape and health check.
type Stats interface {
	// Ping reads from the backend and reports whether it answered.
	Ping(ctx context.Context) error
	// CountActions counts the actions in each of states by state and
	// kind, ordered by state then kind. A state and kind with no action
	// is absent.
	CountActions(ctx context.Context, states ...string) ([]ActionCount, error)
}

// ActionCount is how many actions of one kind are in one state.
type ActionCount struct {
	State string
	Kind  string
	Count int
}
