package config

import "embed"

// GatewayAPICRDDir is the directory of the Gateway API CRDs in GatewayAPICRDs.
const GatewayAPICRDDir = "thirdparty/gateway-api"

// GatewayAPICRDs are the CustomResourceDefinitions of the Gateway API (standard channel), at the release pinned in
// thirdparty/gateway-api/README.md. `naas up` installs them into its local control plane so that namespaces'
// Gateways and tenants' routes can be seen end to end; on a real cluster the Gateway API installation provides them.
//
//go:embed thirdparty/gateway-api/*.yaml
var GatewayAPICRDs embed.FS
