package api

import (
	"bytes"
	"errors"

	"github.com/minitwit-cd/kit/internal/simreport"
	"github.com/minitwit-cd/kit/tracker/model"
)

// SimulatorVerdict judges simulator evidence: report is the simulator's
// report document (internal/simreport, the file `simulator run --json`
// writes, defined once for both programs). It is compliant when the run
// passed (not interrupted, no failure such as errors over --max-errors or a
// verification mismatch) and had no independent error (consequences of an
// earlier error are not counted again). A document that is not such a
// report is EINVALID naming why.
func SimulatorVerdict(report []byte) (bool, error) {
	r, err := simreport.Decode(bytes.NewReader(report))
	if err != nil {
		if errors.Is(err, simreport.ErrSchema) {
			return false, model.Errorf(model.EINVALID, "simulator report: %v", simreport.ErrSchema)
		}
		return false, model.Errorf(model.EINVALID, "simulator report: %v", err)
	}
	return r.Passed && r.Errors == 0, nil
}
