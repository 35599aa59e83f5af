package chargeback

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/naas-dev/naas/internal/cost/money"
)

// CSVHeader are the columns of the finance CSV, in order. They are stable: new columns are only ever added at
// the end. Amounts are decimals in the currency's minor unit ("41.20"), each rounded half away from zero once
// from the exact sum; so the rounded components of a line may differ from its rounded list total by a minor
// unit or two, and the total line is rounded from the exact total, not added up from rounded lines.
var CSVHeader = []string{
	"window_start", "window_end", "aggregate", "key", "namespaces", "currency",
	"cpu", "memory", "gpu", "storage", "load_balancer", "idle", "shared",
	"list", "adjustments", "charged", "usage_source", "exchange_rates",
}

// WriteCSV writes r as CSV: the header, one record per line, and a last record with key "total".
// adjustments is "rule:kind:value:delta" for each rule that changed the line, joined by ";";
// exchange_rates is each rate as "1 USD = 0.79 GBP (2026-11-30)", joined by ";".
func WriteCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	rates := make([]string, len(r.Rates))
	for i, rt := range r.Rates {
		rates[i] = rt.String()
	}
	for _, l := range append(append([]Line(nil), r.Lines...), r.Total) {
		c := r.Currency
		adj := make([]string, len(l.Adjustments))
		for i, a := range l.Adjustments {
			adj[i] = strings.Join([]string{a.Rule, a.Kind, money.Amount(a.Value).Exact(), a.Delta.Decimal(c)}, ":")
		}
		rec := []string{
			r.Window.Start.UTC().Format(time.RFC3339), r.Window.End.UTC().Format(time.RFC3339), string(r.Aggregate),
			l.Key, strconv.Itoa(l.Namespaces), c,
			l.Cost.CPU.Decimal(c), l.Cost.Memory.Decimal(c), l.Cost.GPU.Decimal(c), l.Cost.Storage.Decimal(c),
			l.Cost.LoadBalancer.Decimal(c), l.Cost.Idle.Decimal(c), l.Cost.Shared.Decimal(c),
			l.List.Decimal(c), strings.Join(adj, ";"), l.Charged.Decimal(c), l.Basis, strings.Join(rates, ";"),
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
