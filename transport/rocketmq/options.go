package rocketmq

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"time"
)

// Option configures a Transport. Nil options are ignored; values out of range
// are ignored too, so the default stays (each option says its default).
// Problems that need the whole configuration (no name server given, an
// address without a port) are reported by Open.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	nameServers     []string
	brokerAddrs     []string
	defaultQueues   int
	sendRetries     int
	retryBackoff    time.Duration
	retryBackoffMax time.Duration
	sendTimeout     time.Duration
	topicTimeout    time.Duration
	dialTimeout     time.Duration
	maxBatchBytes   int
	maxMessageBytes int
	pullBatchSize   int
	fetchBuffer     int
	commitInterval  time.Duration
	logger          *slog.Logger
	instanceName    string
	producerGroup   string
	broadcastPrefix string
	accessKey       string
	secretKey       string
	headerPerProp   bool
}

func defaultConfig() config {
	return config{
		defaultQueues:   4,
		sendRetries:     3,
		retryBackoff:    100 * time.Millisecond,
		retryBackoffMax: 2 * time.Second,
		sendTimeout:     3 * time.Second,
		topicTimeout:    15 * time.Second,
		dialTimeout:     5 * time.Second,
		maxBatchBytes:   1 << 20,
		maxMessageBytes: 4 << 20,
		pullBatchSize:   32,
		fetchBuffer:     2048,
		commitInterval:  500 * time.Millisecond,
		logger:          slog.New(slog.DiscardHandler),
		instanceName:    fmt.Sprintf("connect-go-%d-%06x", os.Getpid(), rand.Uint32()&0xffffff),
		producerGroup:   "connect-go",
		broadcastPrefix: "connect-go-broadcast",
	}
}

// WithNameServers sets the name server addresses ("host:port"); required.
// Host names are resolved by Open (the client accepts IP addresses only).
func WithNameServers(addrs []string) Option {
	return optionFunc(func(c *config) {
		if len(addrs) > 0 {
			c.nameServers = append([]string(nil), addrs...)
		}
	})
}

// WithBrokerAddrs sets the broker master addresses ("host:port") that
// CreateTopic creates topics on. Without it CreateTopic can only confirm
// topics that already exist, and Subscribe cannot create a missing topic
// (publishing still creates topics when the broker has
// autoCreateTopicEnable=true). Default none.
func WithBrokerAddrs(addrs []string) Option {
	return optionFunc(func(c *config) {
		if len(addrs) > 0 {
			c.brokerAddrs = append([]string(nil), addrs...)
		}
	})
}

// WithDefaultQueues sets the queue count of topics the transport creates on
// its own: publishing to an unknown topic (the broker creates it, capped by
// its defaultTopicQueueNums), subscribing to one, and CreateTopic with a
// count below 1. Values below 1 are ignored. Default 4.
func WithDefaultQueues(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.defaultQueues = n
		}
	})
}

// WithSendRetries sets how many times Publish sends a batch again after a
// failed send, with exponential backoff between attempts (see
// WithRetryBackoff), before returning a connect.Retriable error. Values below
// 0 are ignored. Default 3.
func WithSendRetries(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 0 {
			c.sendRetries = n
		}
	})
}

// WithRetryBackoff sets the first and the largest delay between send
// attempts; each delay doubles the previous one, and each is randomized by
// up to ±50% (never above max) so that publishers that failed together do
// not retry in step. Values of 0 or less are ignored. Default 100ms, 2s.
func WithRetryBackoff(initial, max time.Duration) Option {
	return optionFunc(func(c *config) {
		if initial > 0 {
			c.retryBackoff = initial
		}
		if max > 0 {
			c.retryBackoffMax = max
		}
		if c.retryBackoffMax < c.retryBackoff {
			c.retryBackoffMax = c.retryBackoff
		}
	})
}

// WithSendTimeout bounds one send attempt. The client gives up after 3s
// whatever is set here, so only shorter values change anything. Values of 0
// or less are ignored. Default 3s.
func WithSendTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.sendTimeout = d
		}
	})
}

// WithTopicTimeout bounds how long CreateTopic and Subscribe wait for a new
// topic to appear in the name server's route. Values of 0 or less are
// ignored. Default 15s.
func WithTopicTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.topicTimeout = d
		}
	})
}

// WithMaxBatchBytes sets the most bytes (bodies and properties) one send
// carries; Publish splits larger batches. Keep it well under the broker's
// maxMessageSize (4 MiB by default). Values below 1 are ignored. Default
// 1 MiB.
func WithMaxBatchBytes(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.maxBatchBytes = n
		}
	})
}

// WithMaxMessageBytes sets the largest message body Publish accepts; larger
// messages fail with a non-retriable error instead of being rejected by the
// broker on every retry. Match the broker's maxMessageSize. Values below 1
// are ignored. Default 4 MiB.
func WithMaxMessageBytes(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.maxMessageBytes = n
		}
	})
}

// WithPullBatchSize sets how many messages a consumer asks the broker for in
// one pull (the broker caps it, 32 by default). Values out of 1..1024 are
// ignored. Default 32.
func WithPullBatchSize(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 && n <= 1024 {
			c.pullBatchSize = n
		}
	})
}

// WithPropertyPerHeader makes Publish write each header as a property of
// its own, "h:"+NAME, as versions of this transport before headers
// traveled together in the property CONNECT_HEADERS did. Subscriptions
// read both forms whatever this says; older versions read only this one.
// Use it while workers of an older version read topics that newer ones
// write (a rolling upgrade), and drop it once none is left: every property
// costs the client allocations per message on both sides. Default off.
func WithPropertyPerHeader() Option {
	return optionFunc(func(c *config) { c.headerPerProp = true })
}

// WithFetchBuffer sets how many received messages a subscription holds
// before Fetch takes them; it stops taking pulled batches from the client
// beyond that (the client itself buffers at most 32 pulls per queue). Values
// below 1 are ignored. Default 2048.
func WithFetchBuffer(n int) Option {
	return optionFunc(func(c *config) {
		if n >= 1 {
			c.fetchBuffer = n
		}
	})
}

// WithCommitInterval bounds how long a subscription keeps an acknowledged
// offset before it writes it to the broker: it writes at once after an Ack
// moved a queue's offset, then at most once per interval while Acks keep
// coming. A member that dies without Close gets again, through the next
// owner of its queues, what it acknowledged within its last interval. The
// client alone writes offsets only 10s after a consumer starts and every
// 5s then. Values of 0 or less are ignored. Default 500ms.
func WithCommitInterval(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.commitInterval = d
		}
	})
}

// WithLogger sets the logger of the transport and, while the transport is
// open, of the RocketMQ client (see "Logging" in the package doc). A nil
// logger is ignored. Default: discard everything.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l != nil {
			c.logger = l
		}
	})
}

// WithInstanceName sets the prefix of the client instance names the
// transport registers with the brokers: the producer is NAME-producer,
// subscriptions are NAME-1, NAME-2, ... (every consumer needs its own
// instance: the brokers tell group members apart by IP@instance). Use
// letters, digits, '-' and '_'. Default "connect-go-PID-RANDOM".
func WithInstanceName(name string) Option {
	return optionFunc(func(c *config) {
		if name != "" {
			c.instanceName = name
		}
	})
}

// WithProducerGroup sets the producer group the transport's producer
// registers under. Default "connect-go".
func WithProducerGroup(group string) Option {
	return optionFunc(func(c *config) {
		if group != "" {
			c.producerGroup = group
		}
	})
}

// WithBroadcastGroupPrefix sets the prefix of the throwaway consumer groups
// of broadcast readers (each reader uses PREFIX-INSTANCE-N). Default
// "connect-go-broadcast".
func WithBroadcastGroupPrefix(prefix string) Option {
	return optionFunc(func(c *config) {
		if prefix != "" {
			c.broadcastPrefix = prefix
		}
	})
}

// WithCredentials sets the ACL access key and secret key sent with every
// request. Default none.
func WithCredentials(accessKey, secretKey string) Option {
	return optionFunc(func(c *config) {
		c.accessKey, c.secretKey = accessKey, secretKey
	})
}

// WithDialTimeout bounds the reachability check of the name servers in Open.
// Values of 0 or less are ignored. Default 5s.
func WithDialTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.dialTimeout = d
		}
	})
}
