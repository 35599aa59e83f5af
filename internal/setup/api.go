package setup

import (
	"context"

	"github.com/spf13/pflag"
)

// APIOptions configure the REST API and the portal.
type APIOptions struct {
	// TokenFile is a static token file (kube-apiserver's format) whose users may use the API.
	TokenFile string
}

// AddFlags registers the API flags.
func (o *APIOptions) AddFlags(_ *pflag.FlagSet) {}

// registerAPI registers the REST API and portal handlers on p.Mux.
func (p *Platform) registerAPI(_ context.Context) error { return nil }
