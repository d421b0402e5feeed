package engine

import (
	"strings"
	"testing"
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
