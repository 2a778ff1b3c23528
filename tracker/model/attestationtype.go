package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/itchyny/gojq"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// EvidenceCustom is the type of a custom attestation; its evidence is typed
// "custom:NAME" after its attestation type.
const EvidenceCustom = "custom"

// AttestationType is a custom attestation type (Kosli's create
// attestation-type): a JSON schema the attestation's data must satisfy and
// jq rules that must all hold for it to be compliant.
type AttestationType struct {
	ID          int64
	Org         string
	Name        string
	Description string
	// Schema is a JSON Schema document; nil for none.
	Schema json.RawMessage
	// Rules are jq expressions run against the data, e.g. ".errors == 0".
	Rules     []string
	CreatedAt time.Time
}

// CompiledType is an attestation type ready to evaluate data.
type CompiledType struct {
	t      AttestationType
	schema *jsonschema.Schema
	rules  []*gojq.Code
}

// Compile checks t (its name, that its schema is a valid JSON Schema and
// that every rule is valid jq) and prepares it: EINVALID naming what is
// wrong otherwise.
func (t AttestationType) Compile() (*CompiledType, error) {
	if err := ValidateName("attestation type", t.Name); err != nil {
		return nil, err
	}
	ct := &CompiledType{t: t}
	if len(bytes.TrimSpace(t.Schema)) > 0 {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(t.Schema))
		if err != nil {
			return nil, Errorf(EINVALID, "attestation type %s: the schema is not JSON: %v", t.Name, err)
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("type_schema.json", doc); err != nil {
			return nil, Errorf(EINVALID, "attestation type %s: the schema is not a JSON Schema: %v", t.Name, err)
		}
		s, err := c.Compile("type_schema.json")
		if err != nil {
			return nil, Errorf(EINVALID, "attestation type %s: the schema is not a valid JSON Schema: %s", t.Name, oneLineErr(err))
		}
		ct.schema = s
	}
	for i, r := range t.Rules {
		q, err := gojq.Parse(r)
		if err != nil {
			return nil, Errorf(EINVALID, "attestation type %s: jq rule %d %q does not parse: %v", t.Name, i+1, r, err)
		}
		code, err := gojq.Compile(q)
		if err != nil {
			return nil, Errorf(EINVALID, "attestation type %s: jq rule %d %q does not compile: %v", t.Name, i+1, r, err)
		}
		ct.rules = append(ct.rules, code)
	}
	return ct, nil
}

// Evaluate judges an attestation's data: EINVALID when data is not JSON or
// fails the schema (the attestation is refused); otherwise compliant when
// every rule yields true (and only true), with the rules that did not
// listed in failed.
func (ct *CompiledType) Evaluate(data json.RawMessage) (compliant bool, failed []string, err error) {
	if len(bytes.TrimSpace(data)) == 0 {
		data = json.RawMessage("null")
	}
	if ct.schema != nil {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return false, nil, Errorf(EINVALID, "attestation_data is not JSON: %v", err)
		}
		if err := ct.schema.Validate(inst); err != nil {
			return false, nil, Errorf(EINVALID, "attestation_data does not match the schema of attestation type %s: %s", ct.t.Name, oneLineErr(err))
		}
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return false, nil, Errorf(EINVALID, "attestation_data is not JSON: %v", err)
	}
	for i, code := range ct.rules {
		if !ruleHolds(code, v) {
			failed = append(failed, ct.t.Rules[i])
		}
	}
	return len(failed) == 0, failed, nil
}

// ruleHolds runs one rule: it holds when it yields at least one value and
// every value is true; an error or any other value fails it.
func ruleHolds(code *gojq.Code, v any) bool {
	iter := code.Run(v)
	n := 0
	for {
		out, ok := iter.Next()
		if !ok {
			return n > 0
		}
		if b, isBool := out.(bool); !isBool || !b {
			return false
		}
		n++
		if n > 1000 {
			return false
		}
	}
}

func oneLineErr(err error) string {
	return strings.Join(strings.Fields(fmt.Sprint(err)), " ")
}
