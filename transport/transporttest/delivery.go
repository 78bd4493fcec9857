package transporttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"

	connect "github.com/openmessaging/connect-go"
)

// keyOf gives most messages one of a few keys and every fifth none.
func keyOf(seq int) string {
	if seq%5 == 0 {
		return ""
	}
	return "key-" + strconv.Itoa(seq%7)
}

func bySeq(msgs []*connect.Message) map[int]*connect.Message {
	m := make(map[int]*connect.Message, len(msgs))
	for _, msg := range msgs {
		seq, _ := seqOf(msg)
		m[seq] = msg
	}
	return m
}

// checkDelivery checks what tl got against sent: contents intact, nothing
// foreign, one (queue, offset) per message, first deliveries of each key in
// publish order, and the duplicate and redelivery rules of the Features.
// queues bounds Message.Queue when above zero.
func (e *env) checkDelivery(tl *tally, sent map[int]*connect.Message, queues int) {
	e.t.Helper()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	type place struct {
		topic string
		queue int
		off   int64
	}
	places := make(map[place]int)
	lastOfKey := make(map[string]int)
	lastOff := make(map[place]int64) // keyed by topic and queue, off unused
	seen := make(map[int]bool)
	for _, m := range tl.order {
		seq, _ := seqOf(m)
		want, ok := sent[seq]
		if !ok {
			e.t.Errorf("unexpected message %d on topic %q", seq, m.Topic)
			continue
		}
		e.checkSame(m, want, queues)
		p := place{m.Topic, m.Queue, m.Offset}
		if other, ok := places[p]; ok && other != seq {
			e.t.Errorf("messages %d and %d both at queue %d offset %d", other, seq, m.Queue, m.Offset)
		}
		places[p] = seq
		if seen[seq] {
			if e.f.NoDuplicates {
				e.t.Errorf("message %d delivered again (Redelivered %d)", seq, m.Redelivered)
			}
			continue
		}
		seen[seq] = true
		if e.f.CountsRedeliveries && m.Redelivered != 0 {
			e.t.Errorf("message %d: Redelivered %d on first delivery", seq, m.Redelivered)
		}
		if len(m.Key) > 0 {
			k := m.Topic + "\x00" + string(m.Key)
			if last, ok := lastOfKey[k]; ok && seq < last {
				e.t.Errorf("key %q: message %d arrived after %d", m.Key, seq, last)
			}
			lastOfKey[k] = seq
		}
		if e.f.NoDuplicates {
			q := place{topic: m.Topic, queue: m.Queue}
			if last, ok := lastOff[q]; ok && m.Offset <= last {
				e.t.Errorf("queue %d: offset %d arrived after offset %d", m.Queue, m.Offset, last)
			}
			lastOff[q] = m.Offset
		}
	}
}

func testPublishSubscribe(e *env) {
	tr := e.transport()
	topic := e.topicName("pubsub")
	e.createTopic(tr, topic)
	n := e.f.Messages
	sent := e.messages(topic, 0, n, keyOf)

	// Half before the group exists: a new group starts at the beginning.
	e.publish(tr, sent[:n/2]...)
	sub := e.subscribe(tr, e.groupName("pubsub"), topic)
	rest := sent[n/2:]
	for _, size := range []int{1, 7} {
		if len(rest) > size {
			e.publish(tr, rest[:size]...)
			rest = rest[size:]
		}
	}
	e.publish(tr, rest...)

	tl := newTally()
	e.consume(sub, tl, true, e.f.Timeout, "receiving every message", func() bool { return tl.has(0, n) })
	e.checkDelivery(tl, bySeq(sent), e.f.QueuesPerTopic)
	if e.f.NoDuplicates {
		e.expectNone(sub, "after every message was acknowledged")
	}
}

func testAutoCreateTopic(e *env) {
	tr := e.transport()
	topic := e.topicName("auto")
	n := max(e.f.Messages/4, 10)
	sent := e.messages(topic, 0, n, keyOf)
	e.publish(tr, sent...)
	sub := e.subscribe(tr, e.groupName("auto"), topic)
	tl := newTally()
	e.consume(sub, tl, true, e.f.Timeout, "receiving from an auto-created topic", func() bool { return tl.has(0, n) })
	e.checkDelivery(tl, bySeq(sent), 0)
}

// testManyTopics subscribes one member to two topics and publishes one
// batch spanning both.
func testManyTopics(e *env) {
	tr := e.transport()
	a, b := e.topicName("manya"), e.topicName("manyb")
	e.createTopic(tr, a)
	e.createTopic(tr, b)
	sub := e.subscribe(tr, e.groupName("many"), a, b)
	n := max(e.f.Messages/2, 10)
	var sent []*connect.Message
	for i := range n {
		topic := a
		if i%2 == 1 {
			topic = b
		}
		sent = append(sent, e.message(topic, keyOf(i), i))
	}
	e.publish(tr, sent...)
	tl := newTally()
	e.consume(sub, tl, true, e.f.Timeout, "receiving from two topics", func() bool { return tl.has(0, n) })
	e.checkDelivery(tl, bySeq(sent), e.f.QueuesPerTopic)
}

// testTopicIsolation publishes one batch to two topics and checks that each
// topic's group gets only its topic's messages.
func testTopicIsolation(e *env) {
	tr := e.transport()
	a, b := e.topicName("isoa"), e.topicName("isob")
	e.createTopic(tr, a)
	e.createTopic(tr, b)
	subA := e.subscribe(tr, e.groupName("isoa"), a)
	subB := e.subscribe(tr, e.groupName("isob"), b)
	n := max(e.f.Messages/2, 10)
	var sent []*connect.Message
	sentTo := map[string][]*connect.Message{}
	for i := range n {
		topic := a
		if i%3 == 0 {
			topic = b
		}
		m := e.message(topic, keyOf(i), i)
		sent = append(sent, m)
		sentTo[topic] = append(sentTo[topic], m)
	}
	e.publish(tr, sent...)
	for _, c := range []struct {
		topic string
		sub   connect.Subscription
	}{{a, subA}, {b, subB}} {
		want := bySeq(sentTo[c.topic])
		tl := newTally()
		e.consume(c.sub, tl, true, e.f.Timeout, "receiving from "+c.topic, func() bool { return tl.distinct() >= len(want) })
		e.checkDelivery(tl, want, e.f.QueuesPerTopic)
		e.expectNone(c.sub, "topic "+c.topic+" after its messages")
	}
}

// testPerKeyOrder publishes many keys from concurrent publishers, each key
// from one of them, and checks that every key's messages arrive in order at
// the group's members: a message may come again, but never before every
// earlier message of its key came.
func testPerKeyOrder(e *env) {
	const publishers, keys = 4, 16
	perKey := max(2*e.f.Messages/keys, 5)
	total := keys * perKey
	tr := e.transport()
	topic := e.topicName("order")
	e.createTopic(tr, topic)
	group := e.groupName("order")
	subs := []connect.Subscription{e.subscribe(tr, group, topic)}
	if e.f.ConsumerGroups {
		subs = append(subs, e.subscribe(e.transport(), group, topic))
	}

	var (
		mu         sync.Mutex
		next       = make([]int, keys) // lowest seq of each key not seen yet
		distinct   int
		violations []string
		done       = make(chan struct{})
	)
	check := func(m *connect.Message) {
		k, err := strconv.Atoi(string(m.Key))
		seq, err2 := strconv.Atoi(m.Headers["transporttest-keyseq"])
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil || err2 != nil || k < 0 || k >= keys:
			violations = append(violations, fmt.Sprintf("foreign message key %q value %q", m.Key, m.Value))
		case seq > next[k]:
			violations = append(violations, fmt.Sprintf("key %d: message %d arrived before %d", k, seq, next[k]))
		case seq < next[k]:
			if e.f.NoDuplicates {
				violations = append(violations, fmt.Sprintf("key %d: message %d arrived again after %d", k, seq, next[k]-1))
			}
		default:
			next[k]++
			distinct++
			if distinct == total {
				close(done)
			}
		}
	}

	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	var consumers sync.WaitGroup
	for _, sub := range subs {
		consumers.Add(1)
		e.goFunc(func() {
			defer consumers.Done()
			for {
				msgs, err := sub.Fetch(ctx, 32)
				if err != nil {
					if ctx.Err() == nil {
						e.t.Errorf("Fetch: %v", err)
					}
					return
				}
				for _, m := range msgs {
					check(m)
				}
				if err := sub.Ack(ctx, msgs...); err != nil && ctx.Err() == nil {
					e.t.Errorf("Ack: %v", err)
				}
			}
		})
	}

	var pubs sync.WaitGroup
	for p := range publishers {
		pubs.Add(1)
		e.goFunc(func() {
			defer pubs.Done()
			rng := rand.New(rand.NewPCG(uint64(p), 1))
			var batch []*connect.Message
			size := 1 + rng.IntN(20)
			for seq := range perKey {
				for k := p; k < keys; k += publishers {
					m := e.message(topic, strconv.Itoa(k), k*perKey+seq)
					m.Headers["transporttest-keyseq"] = strconv.Itoa(seq)
					batch = append(batch, m)
					if len(batch) >= size {
						if err := e.tryPublish(tr, batch...); err != nil {
							e.t.Error(err)
							return
						}
						batch, size = nil, 1+rng.IntN(20)
					}
				}
			}
			if err := e.tryPublish(tr, batch...); err != nil {
				e.t.Error(err)
			}
		})
	}
	pubs.Wait()

	timeout := e.f.Timeout
	if len(subs) > 1 {
		timeout += e.f.RebalanceTimeout
	}
	ctxDone, cancelDone := e.timeout(timeout)
	defer cancelDone()
	select {
	case <-done:
	case <-ctxDone.Done():
	}
	cancel()
	consumers.Wait()
	mu.Lock()
	defer mu.Unlock()
	for _, v := range violations[:min(len(violations), 10)] {
		e.t.Error(v)
	}
	if distinct < total {
		var behind []string
		for k := range keys {
			if next[k] < perKey {
				behind = append(behind, fmt.Sprintf("key %d at %d", k, next[k]))
			}
		}
		sort.Strings(behind)
		e.t.Fatalf("got %d of %d messages in order after %v; %v", distinct, total, timeout, behind)
	}
}
