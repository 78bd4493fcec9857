package transforms

import (
	"context"

	connect "github.com/openmessaging/connect-go"
)

// topicNameMatches is Kafka's TopicNameMatches predicate.
type topicNameMatches struct {
	m *fullMatcher
}

var topicNameMatchesSpec = connect.ConfigSpec{
	{Name: "pattern", Required: true, Validate: func(v string) error { _, err := javaRegex(v); return err },
		Description: "A regular expression the whole topic name must match."},
}

func (*topicNameMatches) Spec() connect.Spec {
	return connect.Spec{Name: predicatePkg + "TopicNameMatches", Config: topicNameMatchesSpec,
		Description: "True for records whose topic name matches the configured regular expression."}
}

func (p *topicNameMatches) Configure(cfg connect.Config) error {
	cfg, errs := configure(topicNameMatchesSpec, cfg)
	if len(errs.Fields) > 0 {
		return errs
	}
	m, err := newFullMatcher(cfg.Get("pattern"))
	if err != nil {
		errs.Add("pattern", "%v", err)
		return errs
	}
	p.m = m
	return nil
}

func (p *topicNameMatches) Test(_ context.Context, r *connect.Record) (bool, error) {
	return r.Topic != "" && p.m.matches(r.Topic), nil
}

func (*topicNameMatches) Close() error { return nil }

// hasHeaderKey is Kafka's HasHeaderKey predicate.
type hasHeaderKey struct {
	name string
}

var hasHeaderKeySpec = connect.ConfigSpec{
	{Name: "name", Required: true, Description: "The header name."},
}

func (*hasHeaderKey) Spec() connect.Spec {
	return connect.Spec{Name: predicatePkg + "HasHeaderKey", Config: hasHeaderKeySpec,
		Description: "True for records with a header of the configured name."}
}

func (p *hasHeaderKey) Configure(cfg connect.Config) error {
	cfg, errs := configure(hasHeaderKeySpec, cfg)
	p.name = cfg.Get("name")
	return errs.Err()
}

func (p *hasHeaderKey) Test(_ context.Context, r *connect.Record) (bool, error) {
	_, ok := r.Headers[p.name]
	return ok, nil
}

func (*hasHeaderKey) Close() error { return nil }

// recordIsTombstone is Kafka's RecordIsTombstone predicate: a record with
// neither a value nor a change event.
type recordIsTombstone struct{}

func (recordIsTombstone) Spec() connect.Spec {
	return connect.Spec{Name: predicatePkg + "RecordIsTombstone",
		Description: "True for tombstones: records with a null value (and no change event)."}
}
func (recordIsTombstone) Configure(connect.Config) error { return nil }
func (recordIsTombstone) Test(_ context.Context, r *connect.Record) (bool, error) {
	return r.Value == nil && r.Change == nil, nil
}
func (recordIsTombstone) Close() error { return nil }
