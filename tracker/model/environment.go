package model

import (
	"strings"
	"time"
)

// EnvironmentTypes are the accepted environment types.
var EnvironmentTypes = []string{"docker", "server", "K8S", "ECS", "S3", "lambda"}

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
			return nil
		}
	}
	return Errorf(EINVALID, "invalid environment type %q: want one of %s", e.Type, strings.Join(EnvironmentTypes, ", "))
}
