// Package offsets tracks which source positions are safe to commit: a
// position may be committed only when the record at it and every record
// submitted before it in the same partition were acknowledged by the
// transport (Kafka Connect's SubmittedRecords, at batch granularity).
package offsets
