package sweeps

import "time"

// Clock tells the time and waits on it. The scheduler and the sweeps
// read every time from it, so that tests drive them with a fake clock.
// A job's timeout is the exception: it is a context deadline, in real
// time.
type Clock interface {
	Now() time.Time
	// After sends the time on the channel once d has passed on this
	// clock.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the machine's clock, in UTC.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now().UTC() }

func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
