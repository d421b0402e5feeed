-- How far the revocation log has been pruned: the seq of the newest
-- entry ever deleted. A stream client resuming after a smaller seq has
-- missed entries and is told so. One row, written by the prune.

-- +goose Up
CREATE TABLE revocation_log_pruned (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    through INTEGER NOT NULL
);

-- +goose Down
DROP TABLE revocation_log_pruned;
