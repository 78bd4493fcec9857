package memory

import "time"

// Option configures a Broker. Nil options are ignored.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	queues   int
	capacity int
	// now and after are the clock of time-based retention; tests replace
	// them with a fake one.
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
}

func defaultConfig() config {
	return config{queues: 4, capacity: 8192, now: time.Now, after: time.After}
}

// WithDefaultQueues sets the number of queues of topics the broker creates on its
// own: on Publish, Subscribe or Broadcast to an unknown topic, and on
// CreateTopic with a queue count below 1. Values below 1 are ignored.
// Default 4.
func WithDefaultQueues(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.queues = n
		}
	})
}

// WithQueueCapacity sets how many messages one queue retains at most. Publish
// blocks while the queue a message hashes to is full (see "Retention and
// backpressure" in the package doc). Values below 1 are ignored. Default 8192.
func WithQueueCapacity(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.capacity = n
		}
	})
}
