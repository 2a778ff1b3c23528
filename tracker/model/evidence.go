package model

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"time"
)

// Evidence types. Generic and junit are Kosli's; simulator (the simulator's
// JSON report against a deployed app) and coverage are ours.
const (
	EvidenceGeneric   = "generic"
	EvidenceJUnit     = "junit"
	EvidenceSimulator = "simulator"
	EvidenceCoverage  = "coverage"
	EvidenceSnyk      = "snyk"
)

// EvidenceTypes lists the accepted evidence types.
var EvidenceTypes = []string{EvidenceGeneric, EvidenceJUnit, EvidenceSimulator, EvidenceCoverage, EvidenceSnyk}

// AttestKinds are the kinds of POST /api/v2/attestations/…/{kind}: the
// evidence types and custom (typed custom:NAME once stored).
var AttestKinds = append(append([]string{}, EvidenceTypes...), EvidenceCustom)

// Evidence (an attestation) is a named, typed, compliant-or-not statement
// about an artifact (Fingerprint set) or a trail (Fingerprint empty). Only
// the latest evidence of a name counts.
type Evidence struct {
	ID          int64
	Flow        string
	Trail       string
	Fingerprint string
	Name        string
	Type        string
	Compliant   bool
	Description string
	// Data is the type's JSON payload: the JUnit summary for junit, the
	// simulator's report for simulator, user data for generic; nil if none.
	Data      json.RawMessage
	Files     []File
	CreatedAt time.Time
}

// File is a file attached to evidence (a JUnit XML, a report).
type File struct {
	Name    string
	Content []byte
}

// Validate checks e.
func (e *Evidence) Validate() error {
	if err := ValidateName("flow", e.Flow); err != nil {
		return err
	}
	if err := ValidateName("attestation", e.Name); err != nil {
		return err
	}
	if e.Trail != "" {
		if err := ValidateName("trail", e.Trail); err != nil {
			return err
		}
	}
	ok := false
	for _, t := range EvidenceTypes {
		ok = ok || e.Type == t
	}
	if name, custom := strings.CutPrefix(e.Type, EvidenceCustom+":"); custom {
		if err := ValidateName("attestation type", name); err != nil {
			return err
		}
		ok = true
	}
	if !ok {
		return Errorf(EINVALID, "invalid attestation type %q: want one of %s", e.Type, strings.Join(EvidenceTypes, ", "))
	}
	if e.Fingerprint != "" {
		fp, err := NormalizeFingerprint(e.Fingerprint)
		if err != nil {
			return err
		}
		e.Fingerprint = fp
	} else if e.Trail == "" {
		return Errorf(EINVALID, "attestation %q needs an artifact fingerprint or a trail", e.Name)
	}
	if len(e.Data) > 0 && !json.Valid(e.Data) {
		return Errorf(EINVALID, "attestation %q: data is not valid JSON", e.Name)
	}
	return nil
}

// EvidenceFilter selects evidence. With Latest, only the newest evidence of
// each name is returned.
type EvidenceFilter struct {
	Flow        string
	Fingerprint string
	Trail       string
	Latest      bool
}

// JUnitSuite is one test suite's counts, the shape Kosli's junit_results
// carries.
type JUnitSuite struct {
	Name  string `json:"name"`
	Tests int    `json:"tests"`
	// Total is the count Kosli's CLI sends (its name for tests).
	Total    int     `json:"total,omitempty"`
	Failures int     `json:"failures"`
	Errors   int     `json:"errors"`
	Skipped  int     `json:"skipped"`
	Duration float64 `json:"duration"`
}

// NormalizeJUnit reconciles the two names of a suite's test count: Tests
// (ours) and Total (Kosli's junit_results[].total), the larger wins.
func NormalizeJUnit(suites []JUnitSuite) {
	for i := range suites {
		n := max(suites[i].Tests, suites[i].Total)
		suites[i].Tests, suites[i].Total = n, n
	}
}

// JUnitCompliant is the JUnit rule: compliant when no suite has failures or
// errors.
func JUnitCompliant(suites []JUnitSuite) bool {
	for _, s := range suites {
		if s.Failures > 0 || s.Errors > 0 {
			return false
		}
	}
	return true
}

type junitCase struct {
	Failures []struct{} `xml:"failure"`
	Errors   []struct{} `xml:"error"`
	Skipped  []struct{} `xml:"skipped"`
}

type junitSuite struct {
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     float64      `xml:"time,attr"`
	Cases    []junitCase  `xml:"testcase"`
	Suites   []junitSuite `xml:"testsuite"`
}

// ParseJUnit reads a JUnit XML document (<testsuites> or a single
// <testsuite>) and returns its suites. Counts missing from the attributes
// are taken from the test cases. A document that is not JUnit XML is an
// EINVALID error.
func ParseJUnit(name string, data []byte) ([]JUnitSuite, error) {
	dec := xml.NewDecoder(strings.NewReader(string(data)))
	var root *xml.StartElement
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, Errorf(EINVALID, "junit file %s is not XML: %v", name, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			root = &se
			break
		}
	}
	if root == nil {
		return nil, Errorf(EINVALID, "junit file %s is not XML: no root element", name)
	}
	var out []JUnitSuite
	switch root.Name.Local {
	case "testsuites":
		var doc struct {
			Suites []junitSuite `xml:"testsuite"`
		}
		if err := dec.DecodeElement(&doc, root); err != nil {
			return nil, Errorf(EINVALID, "junit file %s is not valid XML: %v", name, err)
		}
		for _, s := range doc.Suites {
			out = appendSuite(out, s)
		}
	case "testsuite":
		var s junitSuite
		if err := dec.DecodeElement(&s, root); err != nil {
			return nil, Errorf(EINVALID, "junit file %s is not valid XML: %v", name, err)
		}
		out = appendSuite(out, s)
	default:
		return nil, Errorf(EINVALID, "junit file %s: root element is <%s>, want <testsuites> or <testsuite>", name, root.Name.Local)
	}
	if out == nil {
		out = []JUnitSuite{}
	}
	return out, nil
}

func appendSuite(out []JUnitSuite, s junitSuite) []JUnitSuite {
	js := JUnitSuite{Name: s.Name, Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Skipped: s.Skipped, Duration: s.Time}
	if len(s.Cases) > 0 {
		var f, e, sk int
		for _, c := range s.Cases {
			f += len(c.Failures)
			e += len(c.Errors)
			sk += len(c.Skipped)
		}
		// Attributes can be missing or stale; the cases are the truth
		// when they say more.
		js.Tests = max(js.Tests, len(s.Cases))
		js.Failures = max(js.Failures, f)
		js.Errors = max(js.Errors, e)
		js.Skipped = max(js.Skipped, sk)
	}
	if len(s.Cases) > 0 || len(s.Suites) == 0 {
		out = append(out, js)
	}
	for _, n := range s.Suites {
		out = appendSuite(out, n)
	}
	return out
}

// Compliance states of an artifact.
const (
	Compliant    = "COMPLIANT"
	NonCompliant = "NON-COMPLIANT"
	Incomplete   = "INCOMPLETE"
)

// ComplianceState applies the compliance rule to the latest evidence of an
// artifact (and of its trail): NON-COMPLIANT when any counted evidence is
// non-compliant, INCOMPLETE when a template name is missing, COMPLIANT
// otherwise. Without a template only what was reported counts.
func ComplianceState(template []string, latest []Evidence) string {
	byName := map[string]Evidence{}
	for _, e := range latest {
		if old, ok := byName[e.Name]; !ok || !e.CreatedAt.Before(old.CreatedAt) {
			byName[e.Name] = e
		}
	}
	for _, e := range byName {
		if !e.Compliant {
			return NonCompliant
		}
	}
	for _, n := range template {
		if _, ok := byName[n]; !ok {
			return Incomplete
		}
	}
	return Compliant
}

// SnykCompliant is the rule for snyk evidence (Kosli's snyk_results, one
// result per SARIF run): compliant when no run found a vulnerability of
// any level. A document that is not that shape is EINVALID.
func SnykCompliant(results json.RawMessage) (bool, error) {
	var r struct {
		Results *[]struct {
			High   *int `json:"high_count"`
			Medium *int `json:"medium_count"`
			Low    *int `json:"low_count"`
		} `json:"results"`
	}
	if err := json.Unmarshal(results, &r); err != nil {
		return false, Errorf(EINVALID, "attest snyk: snyk_results is not {results: [{high_count, medium_count, low_count}]}: %v", err)
	}
	if r.Results == nil {
		return false, Errorf(EINVALID, "attest snyk: snyk_results has no results array")
	}
	for i, x := range *r.Results {
		if x.High == nil || x.Medium == nil || x.Low == nil {
			return false, Errorf(EINVALID, "attest snyk: snyk_results.results[%d] needs high_count, medium_count and low_count", i)
		}
		if *x.High+*x.Medium+*x.Low > 0 {
			return false, nil
		}
	}
	return true, nil
}
