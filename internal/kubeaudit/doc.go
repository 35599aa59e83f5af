// Package kubeaudit reads kube-apiserver's audit log (JSON lines, audit.k8s.io/v1 events) in windows, so that
// tests and benchmarks can count the calls a component made: Mark the end before a window, read the events after
// it. It is not naas's own audit trail of who did what through naas: that is internal/audit (the store) and the
// REST API's /audit endpoints.
package kubeaudit
