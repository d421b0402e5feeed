package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/killswitch-dev/killswitch/store"
)

// logAuditHeads logs the audit trail's head ("audit head", seq and
// hash) now, every interval when it moved, and once more when ctx ends,
// so that the logs, kept apart from the registry, hold what
// `audit verify --head` needs to prove that no entry up to it was later
// removed or changed. An interval of 0 logs none.
func logAuditHeads(ctx context.Context, st store.Audit, every time.Duration,
	log *slog.Logger) (stop func()) {
	if every <= 0 {
		return func() {}
	}
	var last store.AuditHead
	logHead := func(ctx context.Context) {
		h, err := store.LatestAuditHead(ctx, st)
		if err != nil {
			log.Warn("audit head not read", "err", err)
			return
		}
		if h == last || h.Seq == 0 {
			return
		}
		last = h
		log.Info("audit head", "seq", h.Seq, "hash", h.Hash,
			"verify_with", "killswitch audit verify --head "+h.String())
	}
	logHead(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				logHead(ctx)
			}
		}
	}()
	return func() {
		<-done
		// The registry outlives the context that ran the service.
		final, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		logHead(final)
	}
}
