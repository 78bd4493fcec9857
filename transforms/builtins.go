package transforms

import connect "github.com/openmessaging/connect-go"

// Compile-time checks that the built-ins implement the contracts.
var (
	_ connect.Transform = (*regexRouter)(nil)
	_ connect.Transform = (*timestampRouter)(nil)
	_ connect.Transform = (*insertField)(nil)
	_ connect.Transform = (*replaceField)(nil)
	_ connect.Transform = (*maskField)(nil)
	_ connect.Transform = (*valueToKey)(nil)
	_ connect.Transform = (*extractField)(nil)
	_ connect.Transform = (*hoistField)(nil)
	_ connect.Transform = (*cast)(nil)
	_ connect.Transform = (*timestampConverter)(nil)
	_ connect.Transform = (*setSchemaMetadata)(nil)
	_ connect.Transform = filter{}
	_ connect.Transform = (*headerFrom)(nil)
	_ connect.Transform = (*insertHeader)(nil)
	_ connect.Transform = (*dropHeaders)(nil)
	_ connect.Transform = (*extractNewRecordState)(nil)
	_ connect.Predicate = (*topicNameMatches)(nil)
	_ connect.Predicate = (*hasHeaderKey)(nil)
	_ connect.Predicate = recordIsTombstone{}
)

// Transforms returns a factory for each built-in transform, by its type
// name: Kafka Connect's class name (Debezium's for ExtractNewRecordState).
// The runtime also accepts the part after the last dot as an alias
// ("RegexRouter", "InsertField$Value"). The map is new on every call.
func Transforms() map[string]func() connect.Transform {
	m := map[string]func() connect.Transform{
		kafkaPkg + "RegexRouter":     func() connect.Transform { return &regexRouter{} },
		kafkaPkg + "TimestampRouter": func() connect.Transform { return &timestampRouter{} },
		kafkaPkg + "ValueToKey":      func() connect.Transform { return &valueToKey{} },
		kafkaPkg + "Filter":          func() connect.Transform { return filter{} },
		kafkaPkg + "InsertHeader":    func() connect.Transform { return &insertHeader{} },
		kafkaPkg + "DropHeaders":     func() connect.Transform { return &dropHeaders{} },
		debeziumPkg + "ExtractNewRecordState": func() connect.Transform {
			return &extractNewRecordState{}
		},
	}
	for _, op := range []operand{onKey, onValue} {
		m[kafkaPkg+"InsertField"+op.suffix()] = func() connect.Transform { return &insertField{op: op} }
		m[kafkaPkg+"ReplaceField"+op.suffix()] = func() connect.Transform { return &replaceField{op: op} }
		m[kafkaPkg+"MaskField"+op.suffix()] = func() connect.Transform { return &maskField{op: op} }
		m[kafkaPkg+"ExtractField"+op.suffix()] = func() connect.Transform { return &extractField{op: op} }
		m[kafkaPkg+"HoistField"+op.suffix()] = func() connect.Transform { return &hoistField{op: op} }
		m[kafkaPkg+"Cast"+op.suffix()] = func() connect.Transform { return &cast{op: op} }
		m[kafkaPkg+"TimestampConverter"+op.suffix()] = func() connect.Transform { return &timestampConverter{op: op} }
		m[kafkaPkg+"HeaderFrom"+op.suffix()] = func() connect.Transform { return &headerFrom{op: op} }
		m[kafkaPkg+"SetSchemaMetadata"+op.suffix()] = func() connect.Transform { return &setSchemaMetadata{op: op} }
	}
	return m
}

// Predicates returns a factory for each built-in predicate, by Kafka
// Connect's class name (the part after the last dot is an alias too). The
// map is new on every call.
func Predicates() map[string]func() connect.Predicate {
	return map[string]func() connect.Predicate{
		predicatePkg + "TopicNameMatches":  func() connect.Predicate { return &topicNameMatches{} },
		predicatePkg + "HasHeaderKey":      func() connect.Predicate { return &hasHeaderKey{} },
		predicatePkg + "RecordIsTombstone": func() connect.Predicate { return recordIsTombstone{} },
	}
}
