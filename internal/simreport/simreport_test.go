package simreport_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/minitwit-cd/kit/internal/simreport"
)

func TestResumeDone(t *testing.T) {
	r := simreport.Resume{Point: 10, Acked: []simreport.Range{{12, 12}, {15, 20}}}
	for id, want := range map[int64]bool{-1: true, 10: true, 11: false, 12: true, 13: false, 14: false, 15: true, 18: true, 20: true, 21: false} {
		if got := r.Done(id); got != want {
			t.Errorf("Done(%d) = %v, want %v", id, got, want)
		}
	}
	if n := r.AckedCount(); n != 7 {
		t.Errorf("AckedCount = %d, want 7", n)
	}
}

func TestDecodeChecksTheDocument(t *testing.T) {
	good := simreport.Report{Schema: simreport.Schema, Total: 10, Errors: 2, Consequences: 3, Resume: simreport.Resume{Point: 5, Acked: []simreport.Range{{7, 8}}}}
	var buf bytes.Buffer
	if err := simreport.Encode(&buf, good); err != nil {
		t.Fatal(err)
	}
	got, err := simreport.Decode(&buf)
	if err != nil || got.Errors != 2 || got.Resume.Acked[0].Last != 8 {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for name, tc := range map[string]struct{ doc, want string }{
		"another document": {`{"total": 10, "errors": 0}`, "not a minitwit-simulator-report/v1 document"},
		"not JSON":         {`errors: 0`, "simreport: decode"},
		"too many errors":  {`{"schema":"` + simreport.Schema + `","total":1,"errors":2}`, "2 errors and 0 consequences in 1 requests"},
		"acked below":      {`{"schema":"` + simreport.Schema + `","resume":{"point":5,"acked":[{"first":3,"last":4}]}}`, "not above the point"},
		"acked unordered":  {`{"schema":"` + simreport.Schema + `","resume":{"point":5,"acked":[{"first":9,"last":9},{"first":7,"last":7}]}}`, "in order"},
	} {
		_, err := simreport.Decode(strings.NewReader(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
		if name == "another document" && !errors.Is(err, simreport.ErrSchema) {
			t.Errorf("%s: not ErrSchema: %v", name, err)
		}
	}
}
