package bench

import (
	"math"
	"strings"
	"testing"

	"github.com/naas-dev/naas/bench/scrape"
)

func TestHandlerNote_SaysHowManyCallsNaasAnsweredWithin10ms(t *testing.T) {
	h := scrape.Histogram{Count: 200, Sum: 0.4, Buckets: []scrape.Bucket{
		{UpperBound: 0.001, Count: 150}, {UpperBound: 0.01, Count: 199}, {UpperBound: 0.1, Count: 200}, {UpperBound: math.Inf(1), Count: 200},
	}}
	notes := handlerNote(h)
	if len(notes) != 1 || !strings.Contains(notes[0], "200 calls, mean 2.00 ms, 99.5% within 10 ms") {
		t.Errorf("note: %q", notes)
	}
	if handlerNote(scrape.Histogram{}) != nil {
		t.Error("a note for no calls")
	}
}
