package engine

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/killswitch-dev/killswitch/internal/logbuf"
)

func TestConsumerConfigNamesWhatIsWrongWithTheBrokers(t *testing.T) {
	tests := []struct {
		name    string
		brokers []string
		want    string
	}{
		{"No brokers", nil, "no brokers given"},
		{"An empty address, as from a trailing comma", []string{"k1:9092", ""},
			"broker address 2 of 2 is empty"},
		{"A blank address", []string{" "}, "broker address 1 of 1 is empty"},
		{"Good addresses", []string{"k1:9092", "k2:9092"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ConsumerConfig{Brokers: tt.brokers}.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// A broker that stays down makes every commit tick fail the same way; it
// is reported once, and again only when the error changes.
func TestAFailingCommitIsReportedOncePerError(t *testing.T) {
	logs := &logbuf.Buffer{}
	c := &Consumer{log: slog.New(slog.NewTextHandler(logs, nil))}
	down := errors.New("dial tcp 127.0.0.1:9092: connect: connection refused")
	for range 3 {
		c.commitFailed(0, 41, down)
		c.commitFailed(1, 50, down)
	}
	c.commitFailed(0, 41, context.DeadlineExceeded)
	if n := strings.Count(logs.String(), "commit offset will be retried"); n != 2 {
		t.Errorf("%d warnings for two errors, want 2:\n%s", n, logs.String())
	}
}
