package connecttest

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	connect "github.com/openmessaging/connect-go"
)

func checkSink(t testing.TB, d *Driver) {
	if d.ReadSink == nil {
		t.Fatal("connecttest: Driver.ReadSink is required for a sink")
	}
	leaks := append([]goleak.Option{goleak.IgnoreCurrent()}, d.GoleakOptions...)
	ctx, cancel := context.WithTimeout(context.Background(), 4*d.Timeout)
	defer cancel()

	conn, ok := d.Connector().(connect.SinkConnector)
	if !ok {
		t.Fatal("Driver.Connector returned a connector that is not a connect.SinkConnector")
	}
	if err := validate(ctx, conn, d.Config); err != nil {
		t.Fatalf("Driver.Config does not validate: %v", err)
	}
	if err := conn.Start(ctx, NewConnectorContext(), conn.Spec().Config.Apply(d.Config)); err != nil {
		t.Fatalf("connector Start: %v", err)
	}
	var task connect.SinkTask
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		if task != nil {
			if err := task.Stop(ctx); err != nil {
				t.Errorf("task Stop: %v", err)
			}
		}
		if err := conn.Stop(ctx); err != nil {
			t.Errorf("connector Stop: %v", err)
		}
	}
	defer stop()

	cfgs, err := conn.TaskConfigs(1)
	if err != nil || len(cfgs) != 1 {
		t.Fatalf("TaskConfigs(1) = %d configs, %v; want 1", len(cfgs), err)
	}
	task = conn.NewTask()
	if err := task.Start(ctx, NewSinkTaskContext(acceptanceConnector, 0), cfgs[0]); err != nil {
		t.Fatalf("task Start: %v", err)
	}
	recs, ids := d.SinkRecords(t, d.Records)
	half := len(recs) / 2
	for _, batch := range [][]*connect.Record{recs[:half], recs[half:]} {
		pctx, cancel := context.WithTimeout(ctx, d.Timeout)
		err := task.Put(pctx, batch)
		cancel()
		if err != nil {
			t.Fatalf("Put of %d records: %v", len(batch), err)
		}
	}
	fctx, fcancel := context.WithTimeout(ctx, d.Timeout)
	err = task.Flush(fctx)
	fcancel()
	if err != nil {
		t.Fatalf("Flush: %v", err)
	}
	stop()

	written := map[string]int{}
	for _, id := range d.ReadSink(t) {
		written[id]++
	}
	var missing []string
	dups := 0
	for _, id := range ids {
		switch n := written[id]; {
		case n == 0:
			missing = append(missing, id)
		case n > 1:
			dups += n - 1
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of the %d records put and flushed are not in the sink: %s", len(missing), len(ids), sample(missing))
	}
	if dups > 0 {
		t.Logf("at-least-once: %d duplicates in the sink", dups)
	}
	verifyNoLeaks(t, leaks)
}
