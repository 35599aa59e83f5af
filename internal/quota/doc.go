// Package quota is the arithmetic of tenant-wide quota: what a pod, persistent volume claim or service charges
// (computed as Kubernetes' own ResourceQuota evaluators do, init containers, sidecars and pod overhead
// included), which resource names a Tenant's spec.quota may cap, and the per-tenant ledger that admission
// reserves against so that concurrent creates in different namespaces never overrun the cap. It is pure: the
// ledger is a value that callers load and store with compare-and-swap through the API server.
package quota
