package engine

import "github.com/killswitch-dev/killswitch/signals"

// PartitionKey is the Kafka message key an alert is published under:
// the first identity it names as actor or target, else its first
// subject, else its dedup key. One principal's alerts share a key, so
// they share a partition and a worker and are applied in order, whoever
// publishes them (killswitch send, the API's POST /v1/alerts).
func PartitionKey(sig signals.Signal) string {
	for _, s := range sig.Subjects {
		if s.Role == signals.RoleActor || s.Role == signals.RoleTarget {
			return string(s.Type) + ":" + s.Value
		}
	}
	if len(sig.Subjects) > 0 {
		s := sig.Subjects[0]
		return string(s.Type) + ":" + s.Value
	}
	return sig.DedupKey
}
