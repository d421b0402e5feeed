package connectors

import (
	"context"
	"errors"
	"testing"
)

type fakeConnector struct{ provider string }

func (f fakeConnector) Provider() string { return f.provider }

func (f fakeConnector) Revoke(context.Context, Request) Result {
	return Result{Outcome: Done}
}

func TestSetFindsConnectorsByProvider(t *testing.T) {
	s, err := NewSet(fakeConnector{"okta"}, fakeConnector{"vault"})
	if err != nil {
		t.Fatal(err)
	}
	if s.For("okta") == nil || s.For("vault") == nil {
		t.Fatal("a configured provider has no connector")
	}
	if s.For("github") != nil {
		t.Fatal("an unconfigured provider has a connector")
	}
}

func TestSetRefusesTwoConnectorsForOneProvider(t *testing.T) {
	if _, err := NewSet(fakeConnector{"okta"}, fakeConnector{"okta"}); err == nil {
		t.Fatal("two okta connectors were accepted")
	}
}

func TestResultSucceeded(t *testing.T) {
	cases := []struct {
		outcome Outcome
		want    bool
	}{
		{Done, true}, {AlreadyDone, true}, {Retryable, false},
		{Permanent, false}, {Unsupported, false},
	}
	for _, c := range cases {
		if got := (Result{Outcome: c.outcome}).Succeeded(); got != c.want {
			t.Errorf("%s: Succeeded() = %v, want %v", c.outcome, got, c.want)
		}
	}
	r := Result{Outcome: Retryable, Err: errors.New("okta: 429")}
	if r.String() != "retryable: okta: 429" {
		t.Errorf("String() = %q", r.String())
	}
}
