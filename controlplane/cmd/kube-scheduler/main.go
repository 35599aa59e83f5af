// Command kube-scheduler is the upstream Kubernetes scheduler, built from the k8s.io/kubernetes module at the
// version pinned in this module's go.mod. naas runs it beside the simulated nodes of `naas up` so that pods are
// bound to nodes by the real fit, affinity and spreading rules.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	"k8s.io/kubernetes/cmd/kube-scheduler/app"
)

func main() {
	os.Exit(cli.Run(app.NewSchedulerCommand()))
}
