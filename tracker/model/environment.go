package model

import (
	"strings"
	"time"
)

// EnvironmentTypes are the accepted environment types.
var EnvironmentTypes = []string{"docker", "server", "K8S", "ECS", "S3", "lambda", "azure-apps", "cloud-run", EnvLogical}

// EnvLogical is the type of a logical environment: a view made of
// physical ones (Included), which takes no reports of its own.
const EnvLogical = "logical"

// ReportTypes are the reporter kinds a snapshot can be reported as, the
// last segment of PUT /api/v2/environments/{org}/{env}/report/{type}: Kosli's
// set, so that its CLI's reporters all have a route.
var ReportTypes = []string{"docker", "server", "K8S", "ECS", "lambda", "S3", "azure-apps"}

// ValidateReportType returns t in its canonical case (k8s → K8S), or an
// EINVALID error naming it when it is not one of ReportTypes.
func ValidateReportType(t string) (string, error) {
	for _, r := range ReportTypes {
		if strings.EqualFold(r, t) {
			return r, nil
		}
	}
	return "", Errorf(EINVALID, "unknown report type %q: want one of %s", t, strings.Join(ReportTypes, ", "))
}

// Environment is a runtime place that a reporter snapshots periodically.
type Environment struct {
	ID          int64
	Org         string
	Name        string
	Type        string
	Description string
	// Visibility is public or private (the default): a public
	// environment may be read anonymously, showing its public flows'
	// artifacts only.
	Visibility string
	// IncludeScaling makes a change of instance count a new snapshot (on by
	// default); without it only started or stopped fingerprints count.
	IncludeScaling bool
	CreatedAt      time.Time
	// LastReportedAt is the time of the latest report, changed or not;
	// zero if none yet.
	LastReportedAt time.Time
	// LastChangedAt is the time of the latest snapshot; zero if none.
	LastChangedAt time.Time
	// Snapshots is the number of snapshots (the latest's index).
	Snapshots int
	// Included are the physical environments a logical one shows.
	Included []string
}

// Validate checks e, normalizes its type's case (k8s → K8S) and fills
// the default visibility (private).
func (e *Environment) Validate() error {
	if err := ValidateName("environment", e.Name); err != nil {
		return err
	}
	if err := validateVisibility(&e.Visibility); err != nil {
		return err
	}
	for _, t := range EnvironmentTypes {
		if strings.EqualFold(t, e.Type) {
			e.Type = t
			return e.validateIncluded()
		}
	}
	return Errorf(EINVALID, "invalid environment type %q: want one of %s", e.Type, strings.Join(EnvironmentTypes, ", "))
}

func (e *Environment) validateIncluded() error {
	if len(e.Included) > 0 && e.Type != EnvLogical {
		return Errorf(EINVALID, "environment %s: included_environments is only for logical environments, not %s", e.Name, e.Type)
	}
	seen := map[string]bool{}
	out := []string{}
	for _, n := range e.Included {
		if err := ValidateName("included environment", n); err != nil {
			return err
		}
		if n == e.Name {
			return Errorf(EINVALID, "logical environment %s cannot include itself", e.Name)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	e.Included = out
	return nil
}

// CheckReportType checks that a report of type report (canonical, from
// ValidateReportType) may go to e: docker to docker environments, server
// to server, and so on; a logical environment takes no reports.
func (e Environment) CheckReportType(report string) error {
	if e.Type == EnvLogical {
		return Errorf(EINVALID, "environment %s is logical: it shows its included environments' snapshots and cannot be reported to", e.Name)
	}
	if report != e.Type {
		return Errorf(EINVALID, "environment %s is of type %s: a %s report does not match (report to /report/%s)", e.Name, e.Type, report, e.Type)
	}
	return nil
}
