// Package collector is the I/O side of cost allocation: it reads what ran on each target cluster (nodes, pods,
// persistent volume claims, LoadBalancer Services) and, when a Prometheus API is configured, what the containers
// used; hands each hour to the pure model (internal/cost/allocation); writes the hour's rows to the audit store
// (audit.CostStore) idempotently; and answers reports and spend queries over stored hours plus the hour in
// progress, computed when asked.
//
// It runs on the leader replica only: on start it fills every complete hour missing from the store within the
// back-fill limit (a restart misses none, a gap is filled), then each minute writes the hours that ended.
//
// Limits (docs/cost.md): a pod is seen by listing the cluster when an hour is computed, so a pod deleted before
// its hour is computed (normally within a minute of the hour's end) is missed, and an hour back-filled long
// after it ended sees only the pods that still exist (their start times bound them). With Prometheus, usage of
// the missed pods is still in the series but without requests; naas does not price series without a pod.
package collector
