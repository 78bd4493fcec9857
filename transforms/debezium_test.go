package transforms_test

import (
	"testing"

	connect "github.com/openmessaging/connect-go"
)

// Cases of Debezium's New Record State Extraction page,
// https://debezium.io/documentation/reference/stable/transformations/event-flattening.html
func TestExtractNewRecordState(t *testing.T) {
	const typ = "io.debezium.transforms.ExtractNewRecordState"
	event := func(op connect.Operation, before, after map[string]any) *connect.Record {
		return &connect.Record{Topic: "db.t", Key: m{"pk": int64(2)}, Timestamp: ts, Headers: connect.Headers{"h": "v"}, Change: &connect.Change{
			Op: op, Before: before, After: after,
			Source: m{"db": "inventory", "table": "t", "lsn": int64(24023128), "ts_ms": int64(1559033904000)},
		}}
	}
	row := func(r *connect.Record, v any) *connect.Record {
		return with(r, func(r *connect.Record) { r.Change, r.Value = nil, v })
	}
	old, cur := m{"pk": int64(2), "cola": "x"}, m{"pk": int64(2), "cola": "y"}
	update, create := event(connect.OpUpdate, old, cur), event(connect.OpCreate, nil, cur)
	del := event(connect.OpDelete, old, nil)
	tombstone := &connect.Record{Topic: "db.t", Key: m{"pk": int64(2)}}
	runCases(t, typ, []tcase{
		{name: "docs: the row after an update", cfg: connect.Config{}, in: update, want: row(update, cur)},
		{name: "a snapshot read", cfg: connect.Config{}, in: event(connect.OpRead, nil, cur), want: row(event(connect.OpRead, nil, cur), cur)},
		{name: "default: deletes dropped", cfg: connect.Config{}, in: del, want: nil},
		{name: "default: tombstones dropped", cfg: connect.Config{}, in: tombstone, want: nil},
		{name: "drop.tombstones=false keeps them", cfg: connect.Config{"drop.tombstones": "false"}, in: tombstone, want: tombstone},
		{name: "docs: delete.handling.mode=rewrite, delete", cfg: connect.Config{"delete.handling.mode": "rewrite"},
			in: del, want: row(del, m{"pk": int64(2), "cola": "x", "__deleted": "true"})},
		{name: "docs: delete.handling.mode=rewrite, create", cfg: connect.Config{"delete.handling.mode": "rewrite"},
			in: create, want: row(create, m{"pk": int64(2), "cola": "y", "__deleted": "false"})},
		{name: "delete.handling.mode=none: a tombstone", cfg: connect.Config{"delete.handling.mode": "none"}, in: del, want: row(del, nil)},
		{name: "docs: add.fields=table,lsn", cfg: connect.Config{"add.fields": "table,lsn"},
			in: update, want: row(update, m{"pk": int64(2), "cola": "y", "__table": "t", "__lsn": int64(24023128)})},
		{name: "docs: add.fields=op,source.ts_ms and a rename", cfg: connect.Config{"add.fields": "op,source.ts_ms,db:database", "add.fields.prefix": "_"},
			in: update, want: row(update, m{"pk": int64(2), "cola": "y", "_op": "u", "_source_ts_ms": int64(1559033904000), "_database": "inventory"})},
		{name: "add.fields with rewrite on a delete", cfg: connect.Config{"add.fields": "op,ts_ms", "delete.handling.mode": "rewrite"},
			in: del, want: row(del, m{"pk": int64(2), "cola": "x", "__op": "d", "__ts_ms": ts.UnixMilli(), "__deleted": "true"})},
		{name: "transaction fields and the processing time", cfg: connect.Config{"add.fields": "id,total_order,data_collection_order,ts_ms,ts_us,ts_ns"},
			in: with(update, withTxAt), want: row(with(update, withTxAt), m{"pk": int64(2), "cola": "y", "__id": "0-1-7", "__total_order": int64(2),
				"__data_collection_order": int64(1), "__ts_ms": ts.UnixMilli() + 1500, "__ts_us": ts.UnixMicro() + 1500000, "__ts_ns": ts.UnixNano() + 1500000007})},
		{name: "absent source field and transaction field are left out", cfg: connect.Config{"add.fields": "file,id"},
			in: update, want: row(update, cur)},
		{name: "docs: add.headers=op,table", cfg: connect.Config{"add.headers": "op,table"},
			in: update, want: withHeaders(row(update, cur), connect.Headers{"h": "v", "__op": "u", "__table": "t"})},
		{name: "add.headers op on a kept tombstone", cfg: connect.Config{"add.headers": "op", "drop.tombstones": "false"},
			in: tombstone, want: withHeaders(tombstone, connect.Headers{"__op": "d"})},
		{name: "delete.tombstone.handling.mode=tombstone", cfg: connect.Config{"delete.tombstone.handling.mode": "tombstone"}, in: del, want: row(del, nil)},
		{name: "delete.tombstone.handling.mode=rewrite drops tombstones", cfg: connect.Config{"delete.tombstone.handling.mode": "rewrite"}, in: tombstone, want: nil},
		{name: "delete.tombstone.handling.mode=rewrite-with-tombstone", cfg: connect.Config{"delete.tombstone.handling.mode": "rewrite-with-tombstone"},
			in: tombstone, want: tombstone},
		{name: "delete.tombstone.handling.mode=drop", cfg: connect.Config{"delete.tombstone.handling.mode": "drop"}, in: del, want: nil},
		{name: "a plain record passes", cfg: connect.Config{}, in: rec("t", m{"a": 1}), want: rec("t", m{"a": 1})},
		{name: "a truncate is dropped with the tombstones", cfg: connect.Config{}, in: event(connect.OpTruncate, nil, nil), want: nil},
		{name: "a truncate is kept with the tombstones", cfg: connect.Config{"drop.tombstones": "false"},
			in: event(connect.OpTruncate, nil, nil), want: event(connect.OpTruncate, nil, nil)},
	})
	runConfigErrors(t, typ, []cfgCase{
		{name: "bad mode", cfg: connect.Config{"delete.handling.mode": "keep"}, field: "delete.handling.mode", err: "must be one of"},
		{name: "legacy and new mode", cfg: connect.Config{"delete.handling.mode": "rewrite", "delete.tombstone.handling.mode": "rewrite"},
			field: "delete.handling.mode", err: "cannot be combined"},
		{name: "bad field reference", cfg: connect.Config{"add.fields": "a:b:c"}, field: "add.fields", err: "unexpected field name"},
		{name: "too deep", cfg: connect.Config{"add.fields": "source.a.b"}, field: "add.fields", err: "unexpected field name"},
		{name: "reserved header", cfg: connect.Config{"add.headers": "op", "add.headers.prefix": "connect."}, field: "add.headers", err: "reserved"},
	})
}
