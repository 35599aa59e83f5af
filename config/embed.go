// Package config embeds the generated CRDs and the default catalog and tiers, so
// that the naas binary can install them without a checkout.
package config

import "embed"

// CRDs are the naas CustomResourceDefinitions (crd/*.yaml).
//
//go:embed crd/*.yaml
var CRDs embed.FS

// Defaults are the default catalog, tiers, PriceBook and CostPolicy (samples/*.yaml) that `naas up` seeds.
//
//go:embed samples/tiers.yaml samples/templates.yaml samples/cost.yaml
var Defaults embed.FS

// PlatformRules is the PrometheusRule with naas's own SLO rules and alerts (monitoring/platform-rules.yaml).
//
//go:embed monitoring/platform-rules.yaml
var PlatformRules []byte
