package mysqlsource

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	connect "github.com/openmessaging/connect-go"
)

// systemDatabases are never captured.
var systemDatabases = map[string]bool{
	"mysql": true, "information_schema": true, "performance_schema": true, "sys": true,
}

// plainName is a table name without regular expression syntax: such an
// entry of table.include or table.exclude matches the table in every
// database, as the seed's whiteTable did.
var plainName = regexp.MustCompile(`^[A-Za-z0-9_$]+$`)

// filter decides which tables are captured. Decisions are cached: the
// binlog asks for every table map.
type filter struct {
	dbInclude, dbExclude       []*regexp.Regexp
	tableInclude, tableExclude []*regexp.Regexp

	mu    sync.Mutex
	cache map[string]bool
}

func newFilter(cfg connect.Config) (*filter, error) {
	f := &filter{cache: map[string]bool{}}
	errs := &connect.ConfigError{}
	var err error
	dbs := cfg.List(KeyDatabaseInclude)
	tables := cfg.List(KeyTableInclude)
	if raw := strings.TrimSpace(cfg.Get(KeyDatabaseInclude)); strings.HasPrefix(raw, "{") {
		var wl []string
		dbs, wl, err = parseWhiteList(raw)
		if err != nil {
			errs.Add(KeyDatabaseInclude, "%v", err)
		}
		tables = append(tables, wl...)
	}
	if f.dbInclude, err = compilePatterns(dbs, false); err != nil {
		errs.Add(KeyDatabaseInclude, "%v", err)
	}
	if f.dbExclude, err = compilePatterns(cfg.List(KeyDatabaseExclude), false); err != nil {
		errs.Add(KeyDatabaseExclude, "%v", err)
	}
	if f.tableInclude, err = compilePatterns(tables, true); err != nil {
		errs.Add(KeyTableInclude, "%v", err)
	}
	if f.tableExclude, err = compilePatterns(cfg.List(KeyTableExclude), true); err != nil {
		errs.Add(KeyTableExclude, "%v", err)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return f, nil
}

// parseWhiteList reads the seed's JSON form of whiteDataBase,
// {"db":{"table":{...}}}: the databases, and db.table patterns for the
// tables named (every table of a database given without any).
func parseWhiteList(raw string) (dbs, tables []string, err error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, nil, fmt.Errorf("is not a JSON object of databases: %v", err)
	}
	for db, v := range m {
		dbs = append(dbs, regexp.QuoteMeta(db))
		var t map[string]json.RawMessage
		if json.Unmarshal(v, &t) != nil || len(t) == 0 {
			tables = append(tables, regexp.QuoteMeta(db)+`\..*`)
			continue
		}
		for name := range t {
			tables = append(tables, regexp.QuoteMeta(db)+`\.`+regexp.QuoteMeta(name))
		}
	}
	sort.Strings(dbs)
	sort.Strings(tables)
	return dbs, tables, nil
}

// compilePatterns anchors and compiles patterns; for table patterns a plain
// name matches that table in any database.
func compilePatterns(patterns []string, table bool) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(patterns))
	for _, p := range patterns {
		expr := p
		if table && plainName.MatchString(p) {
			expr = `[^.]*\.` + regexp.QuoteMeta(p)
		}
		re, err := regexp.Compile(`^(?:` + expr + `)$`)
		if err != nil {
			return nil, fmt.Errorf("bad pattern %q: %v", p, err)
		}
		out = append(out, re)
	}
	return out, nil
}

// includeDB reports whether tables of db may be captured.
func (f *filter) includeDB(db string) bool {
	if systemDatabases[strings.ToLower(db)] {
		return false
	}
	if len(f.dbInclude) > 0 && !matchAny(f.dbInclude, db) {
		return false
	}
	return !matchAny(f.dbExclude, db)
}

// include reports whether db.table is captured.
func (f *filter) include(db, table string) bool {
	key := db + "." + table
	f.mu.Lock()
	v, ok := f.cache[key]
	f.mu.Unlock()
	if ok {
		return v
	}
	v = f.includeDB(db) &&
		(len(f.tableInclude) == 0 || matchAny(f.tableInclude, key)) &&
		!matchAny(f.tableExclude, key)
	f.mu.Lock()
	if len(f.cache) > 100_000 {
		clear(f.cache)
	}
	f.cache[key] = v
	f.mu.Unlock()
	return v
}

func matchAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}
