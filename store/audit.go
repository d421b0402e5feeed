package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// GenesisHash is the PrevHash of the first audit entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// NormalizeTime is how the registry keeps times: UTC, microsecond
// precision (what every backend can store exactly).
func NormalizeTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

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
