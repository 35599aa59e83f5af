// Package monitoring builds the monitoring objects naas gives a namespace whose template turns monitoring on:
// a PrometheusRule with the namespace's alerts, an AlertmanagerConfig routing those alerts to the receivers the
// team declared, and a Grafana dashboard ConfigMap. It is pure: builders take plain Go inputs and return
// unstructured objects (the prometheus-operator kinds are not Go dependencies of naas), and the controller
// applies them. Every PromQL expression is scoped to the one namespace, so a tenant's alerts and dashboard
// never show another tenant's workloads.
package monitoring
