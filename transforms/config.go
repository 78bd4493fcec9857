package transforms

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	connect "github.com/openmessaging/connect-go"
)

// Type-name prefixes of the built-ins: Kafka's and Debezium's packages.
const (
	kafkaPkg     = "org.apache.kafka.connect.transforms."
	predicatePkg = "org.apache.kafka.connect.transforms.predicates."
	debeziumPkg  = "io.debezium.transforms."
)

// Settings shared by several transforms.
const (
	keyField            = "field"
	keyFields           = "fields"
	keyReplaceNull      = "replace.null.with.default"
	replaceNullDoc      = "Kept for Kafka's configs: records carry no schema defaults, so a null stays null (Kafka's schemaless behaviour)."
	reservedPrefix      = "connect."
	reservedPrefixError = "header names starting with \"connect.\" are reserved for the runtime and converters"
)

// replaceNullField is Kafka's replace.null.with.default, which only matters
// with schemas: accepted, documented as without effect.
var replaceNullField = connect.Field{Name: keyReplaceNull, Type: connect.FieldBool, Default: "true", Description: replaceNullDoc}

// configure applies spec's defaults and aliases to cfg and validates it:
// the returned *ConfigError holds the spec's complaints; callers add their
// own and return errs.Err().
func configure(spec connect.ConfigSpec, cfg connect.Config) (connect.Config, *connect.ConfigError) {
	errs := &connect.ConfigError{}
	if err := spec.Validate(cfg); err != nil {
		var ce *connect.ConfigError
		if errors.As(err, &ce) {
			errs.Fields = append(errs.Fields, ce.Fields...)
		} else {
			errs.Add("", "%v", err)
		}
	}
	return spec.Apply(cfg), errs
}

// nonEmptyList is Kafka's NonEmptyListValidator.
func nonEmptyList(v string) error {
	if len(splitList(v)) == 0 {
		return errors.New("must name at least one item")
	}
	return nil
}

// reservedHeaders rejects header names the converters own.
func reservedHeaders(v string) error {
	for _, h := range splitList(v) {
		if strings.HasPrefix(h, reservedPrefix) {
			return fmt.Errorf("%q: %s", h, reservedPrefixError)
		}
	}
	return nil
}

// javaRegex compiles a Java regular expression as Go's RE2 understands it.
// What RE2 lacks (backreferences, lookaround, possessive quantifiers) is a
// configuration error naming the problem.
func javaRegex(expr string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid regex (Go RE2 syntax: no backreferences or lookaround): %v", err)
	}
	return re, nil
}

// fullMatcher matches a whole string, as Java's Matcher.matches does.
type fullMatcher struct {
	literal string // set when the expression is a plain string
	isLit   bool
	re      *regexp.Regexp // anchored
}

func newFullMatcher(expr string) (*fullMatcher, error) {
	re, err := javaRegex(expr)
	if err != nil {
		return nil, err
	}
	if lit, complete := re.LiteralPrefix(); complete {
		return &fullMatcher{literal: lit, isLit: true}, nil
	}
	anchored, err := regexp.Compile(`\A(?:` + expr + `)\z`)
	if err != nil {
		return nil, err
	}
	return &fullMatcher{re: anchored}, nil
}

func (m *fullMatcher) matches(s string) bool {
	if m.isLit {
		return s == m.literal
	}
	return m.re.MatchString(s)
}

// splitList splits a list setting as connect.Config.List does.
func splitList(v string) []string { return connect.Config{"v": v}.List("v") }
