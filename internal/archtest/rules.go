// Package archtest holds the kit's import rules, in one place with the
// reason for each, and the checker its test runs over the whole module
// (`go list`), so a program that reaches into another fails CI.
//
// The rules bind the programs' own code. Test files may also import what a
// test needs to start the real thing it talks to (the simulator's tests
// start the real MiniTwit in-process), since a test is a harness, not part
// of the program.
package archtest

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Module is the kit's module path.
const Module = "github.com/minitwit-cd/kit"

// Rule forbids packages under From to import packages under any of Deny,
// except those under Allow.
type Rule struct {
	From  string   // a folder of the module, e.g. "app"
	Deny  []string // folders From must not import ("" is the whole module)
	Allow []string // exceptions to Deny
	// Except are packages under From the rule does not bind yet, each a
	// known debt with its way out in Why.
	Except []string
	Why    string
}

// Rules are the kit's import rules.
var Rules = []Rule{
	{From: "app", Deny: []string{"simulator", "tracker", "pipeline"},
		Why: "MiniTwit is what students build: it knows nothing of who tests, tracks or deploys it (its benchmark is `simulator bench`)"},
	{From: "simulator", Deny: []string{"app", "tracker", "pipeline"},
		Why: "the simulator tests any group's MiniTwit, in any language, through HTTP alone"},
	{From: "tracker", Deny: []string{"app", "simulator", "pipeline"},
		Why: "the tracker follows any software; what it reads from other programs is a documented wire format (internal/simreport for the simulator's report)"},
	{From: "pipeline", Deny: []string{"tracker"}, Allow: []string{"tracker/client", "tracker/api", "tracker/fingerprint"},
		Why: "the pipeline talks to the tracker as any CI would: through its client (whose signatures use the wire types of tracker/api) and its fingerprints, never its server or store"},
	{From: "internal", Deny: []string{"app", "simulator", "tracker", "pipeline"},
		Why: "internal/ holds what every program uses and no program owns"},
	{From: "app/minitwit", Deny: []string{""},
		Why: "the domain imports nothing of the project: adapters depend on it, not the reverse"},
	{From: "tracker/model", Deny: []string{""},
		Why: "the domain imports nothing of the project: adapters depend on it, not the reverse"},
}

// Package is one package of the module and what its non-test code imports.
type Package struct {
	Path    string   // import path
	Imports []string // import paths
}

// Violation is one import that breaks a rule.
type Violation struct {
	Package, Import string
	Rule            Rule
}

func (v Violation) String() string {
	return fmt.Sprintf("%s imports %s: %s must not import %s (%s)", rel(v.Package), rel(v.Import), v.Rule.From, strings.Join(v.Rule.Deny, ", "), v.Rule.Why)
}

// Check returns every import of pkgs that breaks one of rules, in order.
func Check(rules []Rule, pkgs []Package) []Violation {
	var out []Violation
	for _, p := range pkgs {
		from := rel(p.Path)
		for _, r := range rules {
			if !under(from, r.From) || excepted(from, r) {
				continue
			}
			for _, imp := range p.Imports {
				if !strings.HasPrefix(imp+"/", Module+"/") {
					continue // the standard library and other modules
				}
				to := rel(imp)
				if under(to, r.From) && r.Deny[0] != "" {
					continue // within the folder itself
				}
				if denied(to, r) {
					out = append(out, Violation{Package: p.Path, Import: imp, Rule: r})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func excepted(from string, r Rule) bool {
	for _, e := range r.Except {
		if under(from, e) {
			return true
		}
	}
	return false
}

func denied(to string, r Rule) bool {
	for _, a := range r.Allow {
		if under(to, a) {
			return false
		}
	}
	for _, d := range r.Deny {
		if d == "" {
			return !under(to, r.From) // a domain may import only itself
		}
		if under(to, d) {
			return true
		}
	}
	return false
}

// under reports whether p is folder dir or below it.
func under(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// rel is an import path relative to the module ("app/http").
func rel(p string) string {
	if p == Module {
		return "."
	}
	return path.Clean(strings.TrimPrefix(p, Module+"/"))
}
