package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	connect "github.com/openmessaging/connect-go"
	"github.com/openmessaging/connect-go/converter"
	"github.com/openmessaging/connect-go/mysqlsource"
)

// parseEncode reads the binlog with go-mysql and encodes every row of the
// table as the change event the connector makes of it, in this goroutine:
// one record, change and set of rows reused for every row, the values as
// go-mysql decoded them (for this table's BIGINT, VARCHAR and DOUBLE they
// are already the connector's Go values). It returns the value bytes of
// the row whose id is 1, to compare with what the stream published.
func parseEncode(srv server, db, file string, pos uint32, rows int) []byte {
	p, _ := strconv.Atoi(srv.port)
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: 999_003, Flavor: mysql.MariaDBFlavor, Host: srv.host, Port: uint16(p),
		User: srv.user, Password: srv.password, Logger: slog.New(slog.DiscardHandler),
		// As the connector's reader: go-mysql's default of 10,240 parsed
		// events ahead holds the whole backlog (400+ MB) and slows this
		// baseline with GC work.
		EventCacheCount: 256,
	})
	defer syncer.Close()
	st, err := syncer.StartSync(mysql.Position{Name: file, Pos: pos})
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	enc := converter.NewJSON()
	srcSchema := mysqlsource.SourceSchema(mysqlsource.FlavorMariaDB)
	at := func(name string) int {
		i := srcSchema.FieldIndex(name)
		if i < 0 {
			fail(fmt.Errorf("source schema has no field %s", name))
		}
		return i
	}
	tsMs, tsUs, tsNs, dbF, tableF, serverID, gtidF, fileF, posF, rowF := at("ts_ms"), at("ts_us"), at("ts_ns"), at("db"), at("table"),
		at("server_id"), at("gtid"), at("file"), at("pos"), at("row")
	source := connect.NewStruct(srcSchema)
	source.Values[at("version")] = mysqlsource.SourceVersion()
	source.Values[at("connector")] = mysqlsource.FlavorMariaDB
	source.Values[at("name")] = "bench"
	source.Values[at("snapshot")] = "false"

	var (
		valueSchema, keySchema *connect.Schema
		after, key             connect.Struct
		change                 connect.Change
		rec                    connect.Record
		first                  []byte
		gtid                   string
		binlog                 = file
	)
	rec.Topic, rec.Change = "t", &change
	change.Op, change.After, change.Source = connect.OpCreate, &after, source
	n := 0
	for n < rows {
		ev, err := st.GetEvent(ctx)
		if err != nil {
			fail(fmt.Errorf("parse+encode: %d of %d rows: %w", n, rows, err))
		}
		switch e := ev.Event.(type) {
		case *replication.RotateEvent:
			binlog = string(e.NextLogName)
		case *replication.MariadbGTIDEvent:
			gtid = e.GTID.String()
		case *replication.RowsEvent:
			if string(e.Table.Schema) != db {
				continue
			}
			if valueSchema == nil {
				valueSchema, keySchema = benchSchemas(e.Table)
				after.Schema, key.Schema = valueSchema, keySchema
			}
			h := ev.Header
			ts := time.Unix(int64(h.Timestamp), 0)
			rec.Timestamp = ts
			v := source.Values
			v[tsMs], v[tsUs], v[tsNs], v[dbF], v[tableF], v[serverID] = ts.UnixMilli(), ts.UnixMicro(), ts.UnixNano(), db, "t", int64(h.ServerID)
			v[gtidF], v[fileF], v[posF] = gtid, binlog, int64(h.LogPos-h.EventSize)
			for i, row := range e.Rows {
				v[rowF] = int64(i)
				after.Values, key.Values = row, row[:1]
				rec.Key = &key
				change.At = time.Now() // the processing time, as the connector's
				m, err := enc.Encode(&rec)
				if err != nil {
					fail(fmt.Errorf("parse+encode: %w", err))
				}
				if first == nil && row[0] == int64(1) {
					first = m.Value
				}
			}
			n += len(e.Rows)
		}
	}
	return first
}

// benchSchemas returns the value and key schemas of the benchmark table,
// as the connector names them (server.name "bench").
func benchSchemas(tm *replication.TableMapEvent) (value, key *connect.Schema) {
	names := tm.ColumnNameString()
	types := []connect.Type{connect.TypeInt64, connect.TypeString, connect.TypeString, connect.TypeFloat64, connect.TypeString}
	if len(names) != len(types) {
		fail(fmt.Errorf("table map of %d named columns, want %d (binlog_row_metadata=FULL?)", len(names), len(types)))
	}
	fields := make([]connect.StructField, len(names))
	for i, n := range names {
		fields[i] = connect.StructField{Name: n, Schema: &connect.Schema{Type: types[i], Optional: i > 0}}
	}
	prefix := "bench." + string(tm.Schema) + "." + string(tm.Table)
	return connect.NewStructSchema(prefix+".Value", true, fields...),
		connect.NewStructSchema(prefix+".Key", false, fields[0])
}
