package topiclog

import (
	"log/slog"
	"time"
)

// Option configures a Log. Nil options are ignored.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	logger     *slog.Logger
	minBackoff time.Duration
	maxBackoff time.Duration
}

func defaultConfig() config {
	return config{
		logger:     slog.New(slog.DiscardHandler),
		minBackoff: 100 * time.Millisecond,
		maxBackoff: 5 * time.Second,
	}
}

// WithLogger sets where the log reports fetch retries (Warn), apply panics
// and a topic with several queues (Error). A nil logger is ignored. Default:
// nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l != nil {
			c.logger = l
		}
	})
}
