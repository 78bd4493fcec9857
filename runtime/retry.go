package runtime

import (
	"context"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
	connect "github.com/openmessaging/connect-go"
)

// retrier retries retriable errors with exponential backoff until a total
// timeout since the first failure of a run of failures.
type retrier struct {
	bo      *backoff.ExponentialBackOff
	timeout time.Duration
	first   time.Time   // zero when the last attempt succeeded
	report  func(error) // told each error retried, and nil once it recovered
}

func newRetrier(timeout, maxDelay time.Duration, report func(error)) *retrier {
	bo := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(50*time.Millisecond),
		backoff.WithMaxInterval(maxDelay),
		backoff.WithMaxElapsedTime(0),
	)
	return &retrier{bo: bo, timeout: timeout, report: report}
}

// retry decides what to do after err: it waits out the next backoff delay
// and returns nil when the operation should be tried again, or returns err
// (wrapped with what) when it is not retriable, the retry timeout passed, or
// ctx is done.
func (r *retrier) retry(ctx context.Context, what string, err error) error {
	if !connect.IsRetriable(err) {
		return fmt.Errorf("%s: %w", what, err)
	}
	now := time.Now()
	if r.first.IsZero() {
		r.first = now
		r.bo.Reset()
	}
	if now.Sub(r.first) >= r.timeout {
		return fmt.Errorf("%s: retries exhausted after %s: %w", what, r.timeout, err)
	}
	if r.report != nil {
		r.report(fmt.Errorf("%s: %w", what, err))
	}
	t := time.NewTimer(r.bo.NextBackOff())
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", what, err)
	case <-t.C:
		return nil
	}
}

// ok records a success, ending a run of failures.
func (r *retrier) ok() {
	if !r.first.IsZero() && r.report != nil {
		r.report(nil)
	}
	r.first = time.Time{}
}
