package converter

import (
	"encoding/json"
	"testing"
	"time"

	connect "github.com/openmessaging/connect-go"
)

// benchValue is the pipeline's reference record: five fields, ~80 bytes of
// JSON.
func benchValue() map[string]any {
	return map[string]any{
		"id":     int64(1234567),
		"name":   "Ada Lovelace",
		"email":  "ada.lovelace@example.com",
		"score":  97.25,
		"active": true,
	}
}

func benchRecord() *connect.Record {
	return &connect.Record{
		Topic:     "users",
		Key:       "1234567",
		Value:     benchValue(),
		Timestamp: time.Unix(1700000000, 0),
	}
}

func BenchmarkEncode(b *testing.B) {
	c, r := NewJSON(), benchRecord()
	m, _ := c.Encode(r)
	b.SetBytes(int64(len(m.Value)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Encode(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeStdlib(b *testing.B) {
	v := benchValue()
	m, _ := json.Marshal(v)
	b.SetBytes(int64(len(m)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeValue writes the value alone, like BenchmarkEncodeStdlib.
func BenchmarkEncodeValue(b *testing.B) {
	v := benchValue()
	b.ReportAllocs()
	for b.Loop() {
		e := getEncoder()
		if _, _, err := e.encode(v); err != nil {
			b.Fatal(err)
		}
		putEncoder(e)
	}
}

func BenchmarkDecode(b *testing.B) {
	c := NewJSON()
	m, err := c.Encode(benchRecord())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(m.Value)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeValue reads the value alone, like BenchmarkDecodeStdlib.
func BenchmarkDecodeValue(b *testing.B) {
	data, _ := json.Marshal(benchValue())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d := getDecoder()
		if _, err := d.decode(data); err != nil {
			b.Fatal(err)
		}
		putDecoder(d)
	}
}

func BenchmarkDecodeStdlib(b *testing.B) {
	data, _ := json.Marshal(benchValue())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func benchChange() *connect.Record {
	row := benchValue()
	row["avatar"] = []byte("0123456789abcdef")
	row["updated"] = time.Unix(1700000000, 0).UTC()
	return &connect.Record{
		Topic: "shop.users",
		Key:   map[string]any{"id": int64(1234567)},
		Change: &connect.Change{
			Op:     connect.OpUpdate,
			Before: benchValue(),
			After:  row,
			Source: map[string]any{"db": "shop", "table": "users", "file": "binlog.000042", "pos": int64(123456)},
		},
		Timestamp: time.Unix(1700000000, 0),
	}
}

func BenchmarkEncodeChange(b *testing.B) {
	c, r := NewJSON(), benchChange()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Encode(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeChange(b *testing.B) {
	c := NewJSON()
	m, err := c.Encode(benchChange())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRoundTripParallel(b *testing.B) {
	c, r := NewJSON(), benchRecord()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m, err := c.Encode(r)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.Decode(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
