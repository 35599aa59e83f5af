package setup

import (
	"context"

	"github.com/spf13/pflag"
)

// WebhookOptions configure the admission webhooks.
type WebhookOptions struct{}

// AddFlags registers the webhook flags.
func (o *WebhookOptions) AddFlags(_ *pflag.FlagSet) {}

// registerWebhooks registers the admission webhooks with the manager.
func (p *Platform) registerWebhooks(_ context.Context) error { return nil }
