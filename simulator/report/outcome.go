package report

import "fmt"

// Outcome classifies what happened to one request.
type Outcome int

// The outcomes, in the order reports list them.
const (
	// OK is the expected status within the budget.
	OK Outcome = iota
	// Late is the expected status, but the answer came Budget or more after
	// the request's scheduled send time.
	Late
	// Timeout is no answer at all within the budget.
	Timeout
	// ConnError is a refused, reset or closed connection, or a response that
	// is not HTTP.
	ConnError
	// WrongStatus is an answer with a status the action does not accept.
	WrongStatus
	// Consequence is a failure caused by an earlier failure: the action
	// depends on one that failed (a tweet by a user whose registration
	// failed), so it is not counted as an independent error.
	Consequence

	numOutcomes = int(Consequence) + 1
)

var outcomeNames = [numOutcomes]string{"ok", "late", "timeout", "connection error", "wrong status", "consequence"}

// String returns the outcome's name as reports print it.
func (o Outcome) String() string {
	if o < 0 || int(o) >= numOutcomes {
		return fmt.Sprintf("outcome(%d)", int(o))
	}
	return outcomeNames[o]
}

// IsError reports whether the outcome is a failure of any kind, consequences
// included; Summary counts independent errors and consequences separately.
func (o Outcome) IsError() bool { return o != OK }

// valid reports whether o is one of the defined outcomes.
func (o Outcome) valid() bool { return o >= 0 && int(o) < numOutcomes }

// MarshalText encodes the outcome as its name.
func (o Outcome) MarshalText() ([]byte, error) {
	if !o.valid() {
		return nil, fmt.Errorf("report: unknown outcome %d", int(o))
	}
	return []byte(o.String()), nil
}

// UnmarshalText decodes an outcome from its name.
func (o *Outcome) UnmarshalText(b []byte) error {
	for i, n := range outcomeNames {
		if n == string(b) {
			*o = Outcome(i)
			return nil
		}
	}
	return fmt.Errorf("report: unknown outcome %q", b)
}
