package lineage

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// schemaJSON is the OpenLineage 2-0-2 event schema, unchanged from
// OpenLineage/OpenLineage (spec/OpenLineage.json at 8f02abf, Apache-2.0).
//
//go:embed schema/OpenLineage-2-0-2.json
var schemaJSON []byte

const (
	schemaID    = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
	runEventRef = schemaID + "#/$defs/RunEvent"
)

var runEventSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("decode embedded OpenLineage schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	// Formats (uuid, date-time, uri) are annotations by default in draft
	// 2020-12; a run ID that is not a UUID must be refused, so assert them.
	c.AssertFormat()
	if err := c.AddResource(schemaID, doc); err != nil {
		return nil, fmt.Errorf("load embedded OpenLineage schema: %w", err)
	}
	return c.Compile(runEventRef)
})

var printer = message.NewPrinter(language.English)

// maxProblems bounds how many schema violations one error lists, and
// maxProblemLen how long each may be (messages quote the offending value).
const (
	maxProblems   = 10
	maxProblemLen = 200
)

// validate checks a decoded JSON value against the RunEvent schema and
// turns violations into one error naming each offending field.
func validate(doc any) error {
	sch, err := runEventSchema()
	if err != nil {
		return err
	}
	err = sch.Validate(doc)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	var problems []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			p := fieldName(e.InstanceLocation) + ": " + e.ErrorKind.LocalizedString(printer)
			if len(p) > maxProblemLen {
				p = strings.ToValidUTF8(p[:maxProblemLen], "") + "…"
			}
			problems = append(problems, p)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	slices.Sort(problems)
	problems = slices.Compact(problems)
	if len(problems) > maxProblems {
		problems = append(problems[:maxProblems], fmt.Sprintf("and %d more", len(problems)-maxProblems))
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(problems, "; "))
}

// fieldName renders an instance location as a dotted path such as
// "inputs[0].namespace", or "event" for the document itself.
func fieldName(loc []string) string {
	if len(loc) == 0 {
		return "event"
	}
	var b strings.Builder
	for _, p := range loc {
		if p != "" && strings.Trim(p, "0123456789") == "" {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}
