// Package cost is naas's pure cost model: no client, no I/O. Its subpackages turn plain values (what a
// collector read from clusters and Prometheus) into money:
//
//   - money: decimal amounts in integer nano-units, parsing of the API's Money and Decimal strings, ISO 4217
//     minor units, exchange rates, rounding and formatting.
//   - pricing: the PriceBook that applies to a cluster and node pool, resolved into one report currency, and the
//     default PriceBook (OpenCost's default list prices) and CostPolicy.
//   - allocation: one hour of one cluster, allocated per namespace as the OpenCost specification defines it,
//     with idle capacity and shared namespaces split by the CostPolicy.
//   - chargeback: the CostPolicy's rules applied in order, aggregation over a window, window parsing and CSV.
//   - budget: spend, forecast, thresholds that fire and hard stops.
//   - rightsizing: recommended requests and tier from p95 usage, with the monthly saving, explained.
//
// docs/cost.md describes the model, its precision and rounding.
package cost
