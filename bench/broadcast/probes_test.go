package main

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"

	"kehou/bench/internal/memwatch"
)

func TestDBMonitorKeysByCommandAndCollection(t *testing.T) {
	d := newDBMonitor()
	m := d.monitor()
	cases := []struct {
		name string
		cmd  bson.D
		want string
	}{
		{"find", bson.D{{Key: "find", Value: "members"}, {Key: "filter", Value: bson.D{}}}, "find members"},
		{"update", bson.D{{Key: "update", Value: "deliveries"}}, "update deliveries"},
		{"getMore", bson.D{{Key: "getMore", Value: int64(7)}, {Key: "collection", Value: "children"}}, "getMore children"},
	}
	for i, tc := range cases {
		raw, err := bson.Marshal(tc.cmd)
		if err != nil {
			t.Fatal(err)
		}
		id := int64(i + 1)
		m.Started(context.Background(), &event.CommandStartedEvent{Command: raw, CommandName: tc.cmd[0].Key, RequestID: id})
		m.Succeeded(context.Background(), &event.CommandSucceededEvent{
			CommandFinishedEvent: event.CommandFinishedEvent{RequestID: id, Duration: time.Duration(i+1) * time.Second}})
	}
	ops, total := d.top(10)
	if total != 6*time.Second || len(ops) != 3 {
		t.Fatalf("total %s over %d kinds, want 6s over 3", total, len(ops))
	}
	for i, want := range []string{"getMore children", "update deliveries", "find members"} {
		if ops[i].Key != want || ops[i].N != 1 {
			t.Errorf("ops[%d] = %+v, want one %q", i, ops[i], want)
		}
	}
}

// TestMemSamplerSeesTheProcess reads /proc/self/status: kehou is built and tested on Linux only.
func TestMemSamplerSeesTheProcess(t *testing.T) {
	m := memwatch.Start(time.Millisecond)
	defer m.Close()
	m.StartPhase()
	p := m.EndPhase()
	if p.Heap == 0 || p.RSS == 0 || p.HWM < p.RSS/2 {
		t.Fatalf("peaks %+v: want a heap, an RSS and a high-water mark", p)
	}
}
