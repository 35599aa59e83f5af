package testenv

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/naas-dev/naas/internal/setup"
)

// StartPlatform starts naas (controllers, webhooks, HTTP server on a free port)
// against the environment, the way `naas serve` does, with the default catalog
// and tiers seeded. It returns the platform and a function that stops it.
func (e *Environment) StartPlatform(mutate ...func(*setup.Options)) (*setup.Platform, func(), error) {
	logs := io.Discard
	if os.Getenv("NAAS_TEST_LOGS") != "" {
		logs = os.Stderr
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(logs), zap.UseDevMode(true)))
	ctx, cancel := context.WithCancel(context.Background())
	opts := setup.Options{
		Config:       e.Config,
		Addr:         "127.0.0.1:0",
		SeedDefaults: true,
		Workers:      4,
	}
	for _, m := range mutate {
		m(&opts)
	}
	p, err := setup.New(ctx, opts)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- p.Start(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for p.Ready() != nil {
		select {
		case err := <-done:
			cancel()
			return nil, nil, fmt.Errorf("platform stopped before it was ready: %w", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			return nil, nil, fmt.Errorf("platform not ready: %w", p.Ready())
		}
	}
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintf(os.Stderr, "platform stopped with error: %v\n", err)
		}
	}
	return p, stop, nil
}
