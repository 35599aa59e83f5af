package testenv

import (
	"context"
	"fmt"
	"net"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/naas-dev/naas/internal/localcp"
	"github.com/naas-dev/naas/internal/setup"
)

// WebhookServiceName is the Service through which ThroughWebhookService has kube-apiserver reach naas.
const WebhookServiceName = "naas-webhook"

// ThroughWebhookService returns a StartPlatform option under which kube-apiserver calls naas's admission webhooks
// the way it does in a real install: through a Service reference (naas serve --webhook-service), with a serving
// certificate for the Service's name, rather than at a URL. The Service, in SystemNamespace, is of type
// ExternalName and names localhost, which kube-apiserver's service resolver turns into localhost:<port>; naas
// listens there on a free loopback port.
func (e *Environment) ThroughWebhookService() (func(*setup.Options), error) {
	ctx := context.Background()
	port, err := localcp.FreePort()
	if err != nil {
		return nil, err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: SystemNamespace}}
	if err := e.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: SystemNamespace, Name: WebhookServiceName},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "localhost"},
	}
	if err := e.Client.Create(ctx, svc); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("create the webhook Service: %w", err)
	}
	return func(o *setup.Options) {
		o.Webhook.Service = SystemNamespace + "/" + WebhookServiceName
		o.Webhook.ServicePort = int32(port) //nolint:gosec // a TCP port
		o.Webhook.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}, nil
}
