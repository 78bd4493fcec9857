package rocketmq

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	rmqerrors "github.com/apache/rocketmq-client-go/v2/errors"
	connect "github.com/openmessaging/connect-go"
)

// CreateTopic creates topic with queues read and write queues (the
// WithDefaultQueues count when queues < 1) on every broker of
// WithBrokerAddrs, then waits until the name server routes it: the client
// reports success whatever the broker answers (upstream issue #1121), so
// the route is the proof. A topic that already routes is left alone, even
// with another queue count (changing it would move keys to other queues). It
// fails with a *connect.ConfigError when the topic does not exist and no
// broker address is configured, and with a connect.Retriable error when the
// topic does not route within WithTopicTimeout.
func (t *Transport) CreateTopic(ctx context.Context, topic string, queues int) error {
	if err := t.ensureOpen(ctx); err != nil {
		return fmt.Errorf("rocketmq: create topic: %w", err)
	}
	if err := checkName("topic", topic, 127); err != nil {
		return fmt.Errorf("rocketmq: create topic: %w", err)
	}
	if queues < 1 {
		queues = t.cfg.defaultQueues
	}
	exists, err := t.topicExists(ctx, topic)
	if err != nil {
		return connect.Retriable(fmt.Errorf("rocketmq: create topic %s: %w", topic, err))
	}
	if exists {
		return nil
	}
	return t.createTopic(ctx, topic, queues)
}

// ensureTopic creates topic with the default queue count unless it exists.
func (t *Transport) ensureTopic(ctx context.Context, topic string) error {
	exists, err := t.topicExists(ctx, topic)
	if err != nil {
		return connect.Retriable(fmt.Errorf("look up topic %s: %w", topic, err))
	}
	if exists {
		return nil
	}
	if len(t.cfg.brokerAddrs) == 0 {
		return connect.Retriable(fmt.Errorf("topic %s does not exist and no broker address is configured to create it (WithBrokerAddrs): %w",
			topic, connect.ErrNotFound))
	}
	return t.createTopic(ctx, topic, t.cfg.defaultQueues)
}

func (t *Transport) createTopic(ctx context.Context, topic string, queues int) error {
	if len(t.cfg.brokerAddrs) == 0 {
		var ce connect.ConfigError
		ce.Add("WithBrokerAddrs", "needed to create topic %s", topic)
		return fmt.Errorf("rocketmq: create topic %s: %w", topic, &ce)
	}
	for _, addr := range t.cfg.brokerAddrs {
		err := t.call("CreateTopic", func() error {
			return t.admin.CreateTopic(ctx,
				admin.WithTopicCreate(topic),
				admin.WithBrokerAddrCreate(addr),
				admin.WithReadQueueNums(queues),
				admin.WithWriteQueueNums(queues))
		})
		if err != nil {
			return connect.Retriable(fmt.Errorf("rocketmq: create topic %s on broker %s: %w", topic, addr, err))
		}
	}
	// Verify through the route, with a bounded wait.
	wait := 20 * time.Millisecond
	deadline := time.Now().Add(t.cfg.topicTimeout)
	for {
		exists, err := t.topicExists(ctx, topic)
		if exists {
			t.log.Info("created topic", "topic", topic, "queues", queues, "brokers", t.cfg.brokerAddrs)
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			cause := err
			if cause == nil {
				cause = errors.New("no route")
			}
			return connect.Retriable(fmt.Errorf("rocketmq: create topic %s: sent to broker(s) %v but the name server has no route for it after %v "+
				"(the client reports success whatever the broker answers, upstream issue #1121; check the broker's log and its address): %w",
				topic, t.cfg.brokerAddrs, t.cfg.topicTimeout, cause))
		}
		if !sleepCtx(ctx, wait) {
			continue
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// topicExists asks the name server for topic's route. The admin client
// keeps a route once it got it, so a topic seen once counts as existing for
// the transport's lifetime.
func (t *Transport) topicExists(ctx context.Context, topic string) (bool, error) {
	var n int
	err := t.call("FetchPublishMessageQueues", func() error {
		mqs, err := t.admin.FetchPublishMessageQueues(ctx, topic)
		n = len(mqs)
		return err
	})
	switch {
	case errors.Is(err, rmqerrors.ErrTopicNotExist):
		return false, nil
	case err != nil:
		return false, err
	}
	return n > 0, nil
}
