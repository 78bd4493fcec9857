package rocketmq_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// crashMemberEnv makes TestAckedOffsetsSurviveCrash run as the member that
// gets killed: "TOPIC GROUP COUNT".
const crashMemberEnv = "ROCKETMQ_TEST_CRASH_MEMBER"

// A member that acknowledged a batch and is killed (SIGKILL, no Close) 3s
// later: the acknowledged offsets reached the broker before, so the next
// member of the group does not get the batch again. The client alone
// writes offsets 10s after a consumer starts and every 5s then; a sink in a
// crash loop would get everything again on every start.
func TestAckedOffsetsSurviveCrash(t *testing.T) {
	if spec := os.Getenv(crashMemberEnv); spec != "" {
		crashMember(t, spec)
		return
	}
	tr := open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	topic, group := uniqueName("crash"), uniqueName("gcrash")
	if err := tr.CreateTopic(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
	const acked, later = 40, 10
	publishValues(ctx, t, tr, topic, "acked", acked)

	cmd := exec.Command(os.Args[0], "-test.run=^TestAckedOffsetsSurviveCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %d", crashMemberEnv, topic, group, acked))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill := func() {
		cmd.Process.Kill()
		cmd.Wait()
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "acked ") || strings.HasPrefix(l, "error: ") {
				lines <- l
				break
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case l := <-lines:
		if strings.HasPrefix(l, "error: ") {
			kill()
			t.Fatalf("member: %s", l)
		}
	case <-time.After(time.Minute):
		kill()
		t.Fatal("the member acknowledged nothing within a minute")
	}
	time.Sleep(3 * time.Second)
	kill()

	publishValues(ctx, t, tr, topic, "later", later)
	sub, err := tr.Subscribe(ctx, group, topic)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var again []string
	for got := 0; got < later; {
		msgs, err := sub.Fetch(ctx, 100)
		if err != nil {
			t.Fatalf("fetch: %v (%d of %d new messages)", err, got, later)
		}
		for _, m := range msgs {
			if strings.HasPrefix(string(m.Value), "acked") {
				again = append(again, string(m.Value))
			} else {
				got++
			}
		}
		sub.Ack(ctx, msgs...)
	}
	if len(again) > 0 {
		t.Errorf("the next member got %d of the %d messages the killed member acknowledged 3s before it died: %v",
			len(again), acked, again)
	}
}

func publishValues(ctx context.Context, t *testing.T, tr connect.MessageTransport, topic, prefix string, n int) {
	t.Helper()
	msgs := make([]*connect.Message, n)
	for i := range msgs {
		msgs[i] = &connect.Message{Topic: topic, Value: []byte(prefix + strconv.Itoa(i))}
	}
	if err := tr.Publish(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

// crashMember fetches and acknowledges spec's messages, says so on stdout
// and waits to be killed.
func crashMember(t *testing.T, spec string) {
	var topic, group string
	var n int
	if _, err := fmt.Sscan(spec, &topic, &group, &n); err != nil {
		fmt.Printf("error: %s=%q: %v\n", crashMemberEnv, spec, err)
		return
	}
	tr := open(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sub, err := tr.Subscribe(ctx, group, topic)
	if err != nil {
		fmt.Printf("error: subscribe: %v\n", err)
		return
	}
	for got := 0; got < n; {
		msgs, err := sub.Fetch(ctx, n)
		if err != nil {
			fmt.Printf("error: fetch: %v\n", err)
			return
		}
		if err := sub.Ack(ctx, msgs...); err != nil {
			fmt.Printf("error: ack: %v\n", err)
			return
		}
		got += len(msgs)
	}
	fmt.Printf("acked %d\n", n)
	<-ctx.Done()
	fmt.Println("error: not killed within a minute")
}
