package testenv

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Eventually polls f until it returns nil, failing the test with f's last error
// after timeout. Tests poll for the state of the world instead of sleeping.
func Eventually(t testing.TB, timeout time.Duration, what string, f func() error) {
	t.Helper()
	if err := Poll(timeout, f); err != nil {
		t.Fatalf("%s: not within %s: %v", what, timeout, err)
	}
}

// EventuallyEvery is Eventually at a pace of one call of f every interval: for f that calls naas's REST API,
// whose rate limits a test must stay within.
func EventuallyEvery(t testing.TB, timeout, interval time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		<-tick.C
	}
}

// Poll calls f until it returns nil, or until timeout has passed: then it returns f's last error. It is
// Eventually for code without a test, such as a TestMain seeding its package's objects.
func Poll(timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Consistently checks that f keeps returning nil for the whole duration.
func Consistently(t testing.TB, duration time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(duration)
	for time.Now().Before(deadline) {
		if err := f(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Errorf is fmt.Errorf, for the conditions tests poll on.
func Errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// Context returns a context that ends with the test.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}
