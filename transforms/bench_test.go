package transforms_test

import (
	"context"
	"strconv"
	"testing"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/transforms"
)

// BenchmarkChain is bench/pipeline's 3-transform chain (RegexRouter with a
// group, InsertField$Value static, ReplaceField$Value rename) on its
// 5-field records, untyped and typed, as the runtime applies it to a
// source's records (a copy of each, an Ownership reset per record).
func BenchmarkChain(b *testing.B) {
	schema := connect.NewStructSchema("bench.Value", false,
		connect.StructField{Name: "id", Schema: &connect.Schema{Type: connect.TypeInt64}},
		connect.StructField{Name: "name", Schema: &connect.Schema{Type: connect.TypeString}},
		connect.StructField{Name: "email", Schema: &connect.Schema{Type: connect.TypeString}},
		connect.StructField{Name: "score", Schema: &connect.Schema{Type: connect.TypeFloat64}},
		connect.StructField{Name: "status", Schema: &connect.Schema{Type: connect.TypeString}},
	)
	const n = 1000
	values := map[string][]any{}
	for i := int64(0); i < n; i++ {
		name := "customer-" + strconv.FormatInt(i, 10) + "-of-the-benchmark"
		email := "customer" + strconv.FormatInt(i, 10) + "@example.com"
		score, status := float64(i%1000)/7, "active, subscribed to newsletter"
		values["untyped"] = append(values["untyped"], map[string]any{"id": i, "name": name, "email": email, "score": score, "status": status})
		values["typed"] = append(values["typed"], connect.NewStruct(schema, i, name, email, score, status))
	}
	for _, kind := range []string{"untyped", "typed"} {
		b.Run(kind, func(b *testing.B) {
			all := transforms.Transforms()
			chain := []connect.Transform{all[kafka+"RegexRouter"](), all[kafka+"InsertField$Value"](), all[kafka+"ReplaceField$Value"]()}
			for i, cfg := range []connect.Config{
				{"regex": `raw\.(.*)`, "replacement": "$1"},
				{"static.field": "origin", "static.value": "bench"},
				{"renames": "status:state"},
			} {
				if err := chain[i].Configure(cfg); err != nil {
					b.Fatal(err)
				}
			}
			var own transforms.Ownership
			ctx := own.Context(context.Background())
			var r connect.Record
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				r = connect.Record{Topic: "raw.bench", Key: "k", Value: values[kind][i%n]}
				own.Reset(&r, false)
				out := &r
				for _, t := range chain {
					var err error
					if out, err = t.Apply(ctx, out); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
