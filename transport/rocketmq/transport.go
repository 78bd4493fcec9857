package rocketmq

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	rmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	connect "github.com/openmessaging/connect-go"
)

var (
	_ connect.MessageTransport = (*Transport)(nil)
	_ connect.Opener           = (*Transport)(nil)
)

// Transport is a connect.MessageTransport over a RocketMQ cluster. Create it
// with New, open it with Open (the runtime does, as a connect.Opener; other
// methods open it on first use otherwise) and Close it when done. Every
// method is safe for concurrent use.
type Transport struct {
	cfg config
	log *slog.Logger

	mu       sync.Mutex
	clientMu sync.RWMutex // held to call producer and admin; Close takes it to shut them down
	opened   atomic.Bool
	closed   atomic.Bool
	done     chan struct{} // closed by Close
	nameSrvs []string      // resolved by Open
	producer producerAPI
	admin    adminAPI
	subs     map[*subscription]struct{}

	routes    routeCache
	nextQueue atomic.Uint32 // round robin of keyless batches
	nextID    atomic.Uint64 // suffix of consumer instance names
	// nonce tells this Transport's broadcast groups from those of earlier
	// ones with the same instance name (a restarted worker): a reused
	// group would start at its old committed offsets, not the beginning.
	nonce string

	// newConsumer makes the pull consumer of a subscription; tests replace it.
	newConsumer func(group, instance string, strategy consumer.AllocateStrategy) (pullConsumer, error)
}

// The parts of the client the transport uses, as interfaces so that unit
// tests can stand in for them.
type (
	producerAPI interface {
		Start() error
		Shutdown() error
		SendSync(ctx context.Context, msgs ...*primitive.Message) (*primitive.SendResult, error)
	}
	adminAPI interface {
		CreateTopic(ctx context.Context, opts ...admin.OptionCreate) error
		FetchPublishMessageQueues(ctx context.Context, topic string) ([]*primitive.MessageQueue, error)
		Close() error
	}
	pullConsumer interface {
		Start() error
		Shutdown() error
		Subscribe(topic string, selector consumer.MessageSelector) error
		Poll(ctx context.Context, timeout time.Duration) (*consumer.ConsumeRequest, error)
		ACK(ctx context.Context, cr *consumer.ConsumeRequest, result consumer.ConsumeResult)
		PersistOffset(ctx context.Context, topic string) error
		// For Seek.
		Rebalance()
		UpdateOffset(mq *primitive.MessageQueue, offset int64) error
		CurrentOffset(mq *primitive.MessageQueue) (int64, error)
		Pulling(mq primitive.MessageQueue) bool
	}
)

// New returns a Transport configured by opts. It does no I/O: Open connects,
// and reports configuration errors.
func New(opts ...Option) *Transport {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	t := &Transport{
		cfg:  cfg,
		log:  cfg.logger.With("transport", "rocketmq"),
		done: make(chan struct{}),
		subs: map[*subscription]struct{}{},
	}
	var b [8]byte
	rand.Read(b[:])
	t.nonce = hex.EncodeToString(b[:])
	t.newConsumer = t.newPullConsumer
	return t
}

// Open checks the configuration, resolves the name servers and checks that
// at least one of them accepts connections, then starts the producer. It
// returns a *connect.ConfigError for a bad configuration and a
// connect.Retriable error naming the addresses when no name server can be
// reached. Calling it again after it succeeded does nothing; after Close it
// returns connect.ErrClosed.
func (t *Transport) Open(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed.Load() {
		return fmt.Errorf("rocketmq: open: %w", connect.ErrClosed)
	}
	if t.opened.Load() {
		return nil
	}
	if err := t.cfg.validate(); err != nil {
		return err
	}
	addrs, unreachable, err := resolveNameServers(ctx, t.cfg.nameServers, t.cfg.dialTimeout)
	if err != nil {
		return err
	}
	for _, err := range unreachable {
		t.log.Warn("name server not reachable; using the others", "error", err)
	}
	t.nameSrvs = addrs
	clientLog.attach(t, t.log)

	p, err := rmq.NewProducer(t.producerOptions()...)
	if err == nil {
		err = guard("start producer", p.Start)
	}
	if err != nil {
		clientLog.detach(t)
		return connect.Retriable(fmt.Errorf("rocketmq: start producer (name servers %v): %w", addrs, err))
	}
	adm, err := admin.NewAdmin(t.adminOptions()...)
	if err != nil {
		_ = guard("shut down producer", p.Shutdown)
		clientLog.detach(t)
		return connect.Retriable(fmt.Errorf("rocketmq: create admin client (name servers %v): %w", addrs, err))
	}
	t.producer, t.admin = p, adm
	t.opened.Store(true)
	t.log.Debug("opened", "name_servers", addrs, "instance", t.cfg.instanceName)
	return nil
}

// ensureOpen opens t on first use and fails once t is closed.
func (t *Transport) ensureOpen(ctx context.Context) error {
	if t.closed.Load() {
		return connect.ErrClosed
	}
	if t.opened.Load() {
		return nil
	}
	return t.Open(ctx)
}

// Close stops every subscription, the producer and the admin client. The
// client leaves some goroutines behind for a while (see "Known client
// edges" in the package doc). Close is idempotent.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed.Swap(true) {
		t.mu.Unlock()
		return nil
	}
	close(t.done)
	subs := make([]*subscription, 0, len(t.subs))
	for s := range t.subs {
		subs = append(subs, s)
	}
	t.subs = nil
	opened := t.opened.Load()
	t.mu.Unlock()

	errs := make([]error, len(subs)+2)
	var wg sync.WaitGroup
	for i, s := range subs {
		wg.Go(func() { errs[i] = s.Close() })
	}
	wg.Wait()
	if opened {
		// Calls in flight end first: the client reads its closed flag
		// without synchronisation.
		t.clientMu.Lock()
		errs[len(subs)] = guard("shut down producer", t.producer.Shutdown)
		errs[len(subs)+1] = guard("close admin client", t.admin.Close)
		t.clientMu.Unlock()
		clientLog.detach(t)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("rocketmq: close: %w", err)
	}
	return nil
}

// failSubscriptions fails every subscription of t (see subscription.fail).
func (t *Transport) failSubscriptions(cause error) {
	t.mu.Lock()
	subs := make([]*subscription, 0, len(t.subs))
	for s := range t.subs {
		subs = append(subs, s)
	}
	t.mu.Unlock()
	for _, s := range subs {
		s.fail(cause)
	}
}

func (t *Transport) forget(s *subscription) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.subs, s)
}

func (c *config) validate() error {
	var ce connect.ConfigError
	if len(c.nameServers) == 0 {
		ce.Add("WithNameServers", "at least one name server address is required")
	}
	for _, a := range c.nameServers {
		if _, _, err := net.SplitHostPort(a); err != nil {
			ce.Add("WithNameServers", "%q is not host:port: %v", a, err)
		}
	}
	for _, a := range c.brokerAddrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			ce.Add("WithBrokerAddrs", "%q is not host:port: %v", a, err)
		}
	}
	if !validName(c.instanceName) {
		ce.Add("WithInstanceName", "%q: use letters, digits, '-' and '_'", c.instanceName)
	}
	if !validName(c.producerGroup) {
		ce.Add("WithProducerGroup", "%q: use letters, digits, '-' and '_'", c.producerGroup)
	}
	if !validName(c.broadcastPrefix) {
		ce.Add("WithBroadcastGroupPrefix", "%q: use letters, digits, '-' and '_'", c.broadcastPrefix)
	}
	if err := ce.Err(); err != nil {
		return fmt.Errorf("rocketmq: %w", err)
	}
	return nil
}

// validName reports whether RocketMQ accepts name as a topic or group name
// (^[%|a-zA-Z0-9_-]+$).
func validName(name string) bool {
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-', c == '%', c == '|':
		default:
			return false
		}
	}
	return name != ""
}

func checkName(kind, name string, max int) error {
	if len(name) > max || !validName(name) {
		return fmt.Errorf("invalid %s name %q: RocketMQ allows 1 to %d letters, digits, '-', '_', '%%' and '|'", kind, name, max)
	}
	return nil
}

// resolveNameServers turns host names into IP addresses (the client accepts
// nothing else) and checks that at least one name server accepts a TCP
// connection, so that a wrong address fails Open instead of every later
// call.
func resolveNameServers(ctx context.Context, addrs []string, timeout time.Duration) ([]string, []error, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var (
		out       []string
		fails     []error
		reachable int
		d         net.Dialer
	)
	for _, a := range addrs {
		host, port, _ := net.SplitHostPort(a)
		if net.ParseIP(host) == nil {
			ips, err := net.DefaultResolver.LookupIP(ctx, "ip4", host)
			if err != nil || len(ips) == 0 {
				fails = append(fails, fmt.Errorf("name server %s: resolve: %v", a, err))
				continue
			}
			host = ips[0].String()
		}
		addr := net.JoinHostPort(host, port)
		// Every name server that resolves is used, reachable now or not:
		// the client fails over between them.
		out = append(out, addr)
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			fails = append(fails, fmt.Errorf("name server %s unreachable: %w", a, err))
			continue
		}
		conn.Close()
		reachable++
	}
	if reachable == 0 {
		return nil, nil, connect.Retriable(fmt.Errorf("rocketmq: open: no name server reachable: %w", errors.Join(fails...)))
	}
	return out, fails, nil
}

func (t *Transport) credentials() (primitive.Credentials, bool) {
	c := primitive.Credentials{AccessKey: t.cfg.accessKey, SecretKey: t.cfg.secretKey}
	return c, !c.IsEmpty()
}

func (t *Transport) producerOptions() []producer.Option {
	opts := []producer.Option{
		producer.WithNameServer(t.nameSrvs),
		producer.WithGroupName(t.cfg.producerGroup),
		producer.WithInstanceName(t.cfg.instanceName + "-producer"),
		producer.WithQueueSelector(queueSelector{t}),
		producer.WithDefaultTopicQueueNums(t.cfg.defaultQueues),
		producer.WithSendMsgTimeout(t.cfg.sendTimeout),
		// Publish retries with backoff itself; the client's retries are
		// immediate and go to the same queue.
		producer.WithRetry(0),
	}
	if c, ok := t.credentials(); ok {
		opts = append(opts, producer.WithCredentials(c))
	}
	return opts
}

func (t *Transport) adminOptions() []admin.AdminOption {
	opts := []admin.AdminOption{admin.WithResolver(primitive.NewPassthroughResolver(t.nameSrvs))}
	if c, ok := t.credentials(); ok {
		opts = append(opts, admin.WithCredentials(c))
	}
	return opts
}

func (t *Transport) newPullConsumer(group, instance string, strategy consumer.AllocateStrategy) (pullConsumer, error) {
	opts := []consumer.Option{
		consumer.WithNameServer(t.nameSrvs),
		consumer.WithGroupName(group),
		consumer.WithInstance(instance),
		consumer.WithConsumerModel(consumer.Clustering),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithPullBatchSize(int32(t.cfg.pullBatchSize)),
		consumer.WithStrategy(strategy),
	}
	if c, ok := t.credentials(); ok {
		opts = append(opts, consumer.WithCredentials(c))
	}
	// consumer.NewPullConsumer, not rmq's: its concrete type has the
	// methods Seek needs besides the PullConsumer interface's.
	c, err := consumer.NewPullConsumer(opts...)
	if err != nil {
		return nil, err
	}
	rebalance, ok := serialRebalance(c)
	if !ok {
		t.log.Warn("rocketmq: cannot reach the client's rebalance lock; Seek rebalances without it")
		rebalance = c.Rebalance
	}
	return pullClient{
		PullConsumer: c,
		rebalance:    rebalance,
		pulling: func(mq primitive.MessageQueue) bool {
			pq, ok := c.GetConsumerRunningInfo(false).MQTable[mq]
			return ok && !pq.Dropped
		},
	}, nil
}

// pullClient is the client's pull consumer with the methods of its
// concrete type that Seek uses.
type pullClient struct {
	rmq.PullConsumer
	rebalance func()
	pulling   func(primitive.MessageQueue) bool
}

// Rebalance runs a rebalance of the consumer now, on the calling goroutine,
// under the client's rebalance lock (see serialRebalance).
func (c pullClient) Rebalance() { c.rebalance() }

// Pulling reports whether the consumer has a pull of mq running.
func (c pullClient) Pulling(mq primitive.MessageQueue) bool { return c.pulling(mq) }

// call runs f, a call of the producer or the admin client, unless t is
// closed.
func (t *Transport) call(op string, f func() error) error {
	t.clientMu.RLock()
	defer t.clientMu.RUnlock()
	if t.closed.Load() {
		return connect.ErrClosed
	}
	return guard(op, f)
}

// guard calls f, turning a panic of the client into an error: the client
// panics on some states it does not expect (upstream issues #1170, #1226),
// and the caller's goroutine must survive them.
func guard(op string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rocketmq client panicked in %s: %v", op, r)
			clientLog.logPanic("recovered panic in a client call", r)
		}
	}()
	return f()
}
