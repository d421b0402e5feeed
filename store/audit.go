package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// GenesisHash is the PrevHash of the first audit entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// NormalizeTime is how the registry keeps times: UTC, microsecond
// precision (what every backend can store exactly), within the years 1
// to 9999, which every backend can store, read back and order: a time
// outside them (an expiry given in milliseconds read as seconds, a
// provider's "never" as the largest number it has) is kept as the
// nearest time within them. SQLite keeps a time as RFC 3339 text, whose
// year has four digits: a time of the year 10000 sorted before every
// other, so a range kept it out where PostgreSQL kept it in, and one
// before the year 1 was written but never read back, failing every list
// that held it; PostgreSQL refused a time past the year 294276.
func NormalizeTime(t time.Time) time.Time {
	switch {
	case t.IsZero():
		return t
	case t.Before(minTime):
		return minTime
	case t.After(maxTime):
		return maxTime
	}
	return t.UTC().Truncate(time.Microsecond)
}

// minTime and maxTime are the first and last times NormalizeTime keeps;
// the zero time, before minTime, is no time.
var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// ChainHash is the hash of an entry: SHA-256 over the previous hash and
// the entry's fields, each on its own line. Details are hashed as the
// exact bytes stored, so backends must keep them verbatim.
func ChainHash(e AuditEntry) string {
	var b strings.Builder
	b.WriteString(e.PrevHash)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(e.Seq, 10))
	b.WriteByte('\n')
	b.WriteString(NormalizeTime(e.Time).Format(time.RFC3339Nano))
	for _, s := range []string{e.Actor, e.Event, e.Subject} {
		b.WriteByte('\n')
		b.WriteString(s)
	}
	b.WriteByte('\n')
	b.Write(e.Details)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// ChainError says where an audit chain breaks.
type ChainError struct {
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit entry %d: %s", e.Seq, e.Reason)
}

// VerifyChain checks entries, which must be consecutive and start after an
// entry whose hash is prev (GenesisHash for the first). It returns the
// hash of the last entry, or a *ChainError at the first bad one.
func VerifyChain(entries []AuditEntry, prev string, prevSeq int64) (string, error) {
	for _, e := range entries {
		if e.Seq != prevSeq+1 {
			return prev, &ChainError{Seq: e.Seq,
				Reason: fmt.Sprintf("sequence gap after %d", prevSeq)}
		}
		if e.PrevHash != prev {
			return prev, &ChainError{Seq: e.Seq,
				Reason: "previous hash does not match the entry before it"}
		}
		if ChainHash(e) != e.Hash {
			return prev, &ChainError{Seq: e.Seq,
				Reason: "hash does not match the entry's contents"}
		}
		prev, prevSeq = e.Hash, e.Seq
	}
	return prev, nil
}

// VerifyAudit walks the whole trail of a in pages and checks the chain.
// It returns how many entries verified: on a break, a *ChainError, and
// the number of good entries before the first bad one.
func VerifyAudit(ctx context.Context, a Audit) (int64, error) {
	prev, seq := GenesisHash, int64(0)
	for {
		page, err := a.ListAudit(ctx, AuditFilter{AfterSeq: seq, Limit: 1000})
		if err != nil {
			return seq, err
		}
		if len(page) == 0 {
			return seq, nil
		}
		// One entry at a time, so that seq is the last good entry when
		// the chain breaks inside the page.
		for _, e := range page {
			prev, err = VerifyChain([]AuditEntry{e}, prev, seq)
			if err != nil {
				return seq, err
			}
			seq = e.Seq
		}
	}
}

// AuditHead names one entry of the trail by its sequence number and
// hash. The chain proves that no entry before a head was changed, but
// not that the newest entries are all there: someone who can write the
// registry can delete its tail and leave a chain that verifies. A head
// recorded outside the registry (the service logs it, `audit verify`
// prints it) closes that gap: a trail that still holds the head with
// the same hash has lost or changed nothing up to it.
type AuditHead struct {
	Seq  int64
	Hash string
}

func (h AuditHead) String() string { return fmt.Sprintf("%d:%s", h.Seq, h.Hash) }

// ParseAuditHead reads a head written as SEQ:HASH (the hash in hex,
// optionally after "sha256:").
func ParseAuditHead(s string) (AuditHead, error) {
	seqText, hash, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return AuditHead{}, fmt.Errorf("%q is not SEQ:HASH", s)
	}
	hash = strings.ToLower(strings.TrimPrefix(hash, "sha256:"))
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if err != nil || seq < 1 {
		return AuditHead{}, fmt.Errorf("%q: the sequence number %q is not a whole number of at least 1", s, seqText)
	}
	if len(hash) != sha256.Size*2 {
		return AuditHead{}, fmt.Errorf("%q: the hash is %d characters, "+
			"want %d hex digits", s, len(hash), sha256.Size*2)
	}
	if _, err := hex.DecodeString(hash); err != nil {
		return AuditHead{}, fmt.Errorf("%q: the hash is not hexadecimal", s)
	}
	return AuditHead{Seq: seq, Hash: hash}, nil
}

// LatestAuditHead returns the newest entry's head; the zero AuditHead
// for an empty trail.
func LatestAuditHead(ctx context.Context, a Audit) (AuditHead, error) {
	es, err := a.ListAudit(ctx, AuditFilter{Limit: 1, Latest: true})
	if err != nil || len(es) == 0 {
		return AuditHead{}, err
	}
	return AuditHead{Seq: es[0].Seq, Hash: es[0].Hash}, nil
}

// AuditHeadAt returns the head of entry seq, ErrNotFound when the trail
// does not hold it.
func AuditHeadAt(ctx context.Context, a Audit, seq int64) (AuditHead, error) {
	es, err := a.ListAudit(ctx, AuditFilter{AfterSeq: seq - 1, Limit: 1})
	if err != nil {
		return AuditHead{}, err
	}
	if len(es) == 0 || es[0].Seq != seq {
		return AuditHead{}, fmt.Errorf("audit entry %d: %w", seq, ErrNotFound)
	}
	return AuditHead{Seq: seq, Hash: es[0].Hash}, nil
}

// CheckAuditHead checks that a trail whose chain verified up to entry
// last still holds h: a *ChainError says the entries from its end were
// removed, or that the trail was rewritten up to it.
func CheckAuditHead(ctx context.Context, a Audit, last int64, h AuditHead) error {
	if h.Seq > last {
		return &ChainError{Seq: h.Seq, Reason: fmt.Sprintf(
			"missing: the trail ends at entry %d, so entries %d to at least %d were removed from its end",
			last, last+1, h.Seq)}
	}
	got, err := AuditHeadAt(ctx, a, h.Seq)
	if errors.Is(err, ErrNotFound) {
		return &ChainError{Seq: h.Seq, Reason: "missing from the trail"}
	}
	if err != nil {
		return err
	}
	if got.Hash != h.Hash {
		return &ChainError{Seq: h.Seq, Reason: fmt.Sprintf(
			"hash %s is not the head recorded (%s): the trail was rewritten up to here",
			got.Hash, h.Hash)}
	}
	return nil
}
