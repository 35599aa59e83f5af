// Package audit records who did what to which tenant or namespace, and with what result, in a durable store
// that outlives the naas process. The REST API records every mutating request, allowed or denied, and the
// controllers record every provisioning outcome; a record is on disk before the response that it describes is
// sent. A request that changes something is recorded in two steps, its intent before the change reaches the
// cluster and its outcome after, so that a crash in between loses at most the outcome (the intent then reads
// as of unknown outcome), never the change's record. The default store is an embedded SQLite database (pure
// Go, no cgo) in the naas data directory; PostgresStore keeps the same records in a PostgreSQL database that
// several naas replicas share, and Open picks one from a DSN. Both are queryable by tenant, namespace, user and
// time window, newest first, a page at a time, and pass one contract (audit/storetest). (kube-apiserver's own audit log, which tests read to count API calls, is internal/kubeaudit.)
package audit
