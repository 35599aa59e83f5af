package config

import "embed"

// PrometheusOperatorCRDDir is the directory of the prometheus-operator CRDs in ThirdPartyCRDs.
const PrometheusOperatorCRDDir = "thirdparty/prometheus-operator"

// ThirdPartyCRDs are the CustomResourceDefinitions of the add-ons whose objects naas creates when a cluster has
// them: the prometheus-operator's PrometheusRule, AlertmanagerConfig and ServiceMonitor, at the release pinned
// in thirdparty/prometheus-operator/README.md. `naas up` installs them into its local control plane so that the
// monitoring objects of namespaces can be seen end to end; on a real cluster the add-on's own installation
// provides them.
//
//go:embed thirdparty/prometheus-operator/*.yaml
var ThirdPartyCRDs embed.FS
