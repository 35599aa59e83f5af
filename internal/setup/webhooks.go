package setup

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/pflag"
	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/apply"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/certs"
	"github.com/naas-dev/naas/internal/cluster"
	"github.com/naas-dev/naas/internal/controller/fairness"
	"github.com/naas-dev/naas/internal/controller/workloadpolicy"
	"github.com/naas-dev/naas/internal/domains"
	"github.com/naas-dev/naas/internal/platform"
	"github.com/naas-dev/naas/internal/quota/tenantledger"
	"github.com/naas-dev/naas/internal/webhook"
	"github.com/naas-dev/naas/internal/webhook/hostnames"
	"github.com/naas-dev/naas/internal/webhook/namespaceclaim"
	"github.com/naas-dev/naas/internal/webhook/pullpolicy"
	"github.com/naas-dev/naas/internal/webhook/rolebinding"
	"github.com/naas-dev/naas/internal/webhook/tenant"
	"github.com/naas-dev/naas/internal/webhook/tenantquota"
)

// Names of what the webhooks install.
const (
	// WebhookConfigurationName names both naas's MutatingWebhookConfiguration and its
	// ValidatingWebhookConfiguration.
	WebhookConfigurationName = platform.WebhookConfigurationName
	// WebhookCertSecretName is the Secret, in the system namespace, that holds the webhook server's CA and
	// serving certificate.
	WebhookCertSecretName = platform.WebhookCertSecretName
	// DefaultSystemNamespace holds naas's own state when neither --system-namespace nor POD_NAMESPACE says
	// otherwise.
	DefaultSystemNamespace = "naas-system"
	// WebhookTimeoutSeconds bounds every call of the API server to naas: a slow naas slows requests on what naas
	// manages by at most this much.
	WebhookTimeoutSeconds = platform.WebhookTimeoutSeconds

	defaultInClusterWebhookAddr = ":9443"
	defaultServicePort          = 443
	defaultLocalWebhookAddr     = "127.0.0.1:0"
)

// Webhook paths.
const (
	pathMutateClaims   = "/mutate/namespaceclaims"
	pathValidateClaims = "/validate/namespaceclaims"
	pathValidateTenant = "/validate/tenants"
	pathTenantQuota    = "/validate/tenant-quota"
	// The tenant quota webhook as member clusters' API servers call it: the path names the member.
	pathMemberTenantQuota = pathTenantQuota + "/clusters/{cluster}"
	// Image pull policy Always where the tier asks for it, on API servers without MutatingAdmissionPolicy.
	pathMutatePullPolicy = "/mutate/pull-policy"
	// The hostnames and collaborators of claims (package webhook/hostnames).
	pathMutateHostnames   = "/mutate/namespaceclaims-hostnames"
	pathValidateHostnames = "/validate/namespaceclaims-hostnames"
	// RoleBindings tenant users make in naas namespaces, audited (package webhook/rolebinding).
	pathValidateRoleBindings = "/validate/rolebindings"
)

// WebhookOptions configure the admission webhooks.
type WebhookOptions struct {
	// Addr is where the webhook server listens: 127.0.0.1 on a free port by default, which is what a local
	// API server (naas up) reaches; ":9443" by default with Service.
	Addr string
	// Service is the namespace/name of the Service in front of naas's pods, for naas serve in the cluster:
	// the API server calls the webhooks through it (on port 443), and the serving certificate names it.
	Service string
	// ServicePort is the port of Service the API server calls; 443 when zero.
	ServicePort int32
	// URL is the base URL the API server calls the webhooks at, when naas runs outside the cluster on an address
	// the API server reaches by another name than Addr, e.g. https://naas.example.com:9443. The serving
	// certificate names its host.
	URL string
	// MemberURL is the base URL member clusters' API servers call naas's tenant quota webhook at, e.g.
	// https://naas.example.com:9443. Default: URL, or the local address naas listens on, unless naas is reached
	// through Service (which members cannot reach): then tenant-wide quotas are not held on members.
	MemberURL string
	// SystemNamespace holds naas's own state: the webhook certificates and the tenants' ledgers. Default: the
	// namespace of the Service, else POD_NAMESPACE, else naas-system. It is created when missing.
	SystemNamespace string
	// CertCheckInterval is how often the serving certificate is checked for renewal (and the webhook
	// configurations healed); certs.DefaultCheckInterval when zero.
	CertCheckInterval time.Duration
	// QuotaSyncPeriod is how often tenants' usage is counted afresh; workloadpolicy.DefaultQuotaSyncPeriod when
	// zero.
	QuotaSyncPeriod time.Duration
}

// AddFlags registers the webhook flags.
func (o *WebhookOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Addr, "webhook-addr", "", `address of the admission webhook server (default "127.0.0.1:0", a free local port; ":9443" with --webhook-service)`)
	f.StringVar(&o.Service, "webhook-service", "", "namespace/name of the Service through which the API server reaches naas's pods (naas running in the cluster)")
	f.Int32Var(&o.ServicePort, "webhook-service-port", defaultServicePort, "port of the --webhook-service that the API server calls")
	f.StringVar(&o.URL, "webhook-url", "", "base URL the API server calls the webhooks at, when it reaches naas by another name than --webhook-addr (e.g. https://naas.example.com:9443)")
	f.StringVar(&o.MemberURL, "member-webhook-url", "", "base URL member clusters' API servers call naas's tenant quota webhook at (default: --webhook-url, or the local address without --webhook-service)")
	f.StringVar(&o.SystemNamespace, "system-namespace", "", `namespace for naas's own state: webhook certificates and tenant ledgers (default: the --webhook-service namespace, else $POD_NAMESPACE, else "naas-system")`)
	f.DurationVar(&o.CertCheckInterval, "webhook-cert-check-interval", certs.DefaultCheckInterval, "how often the webhook serving certificate is checked for renewal")
}

// webhookEndpoint is how the API server reaches the webhook server.
type webhookEndpoint struct {
	addr        string
	service     *types.NamespacedName
	servicePort int32
	baseURL     string
	hosts       certs.Hosts
	namespace   string
	// memberURL is the base URL members call the tenant quota webhook at; empty when they cannot reach naas.
	memberURL string
}

// resolve works out the listen address, how the API server reaches it, what the certificate names and the
// system namespace.
func (o WebhookOptions) resolve() (webhookEndpoint, error) {
	e := webhookEndpoint{addr: o.Addr, namespace: o.SystemNamespace}
	if o.Service != "" {
		ns, name, ok := strings.Cut(o.Service, "/")
		if !ok || ns == "" || name == "" {
			return e, fmt.Errorf("--webhook-service %q must be namespace/name, e.g. naas-system/naas-webhook", o.Service)
		}
		e.service = &types.NamespacedName{Namespace: ns, Name: name}
		e.servicePort = o.ServicePort
		e.hosts.DNSNames = []string{name + "." + ns + ".svc", name + "." + ns + ".svc.cluster.local"}
		if e.addr == "" {
			e.addr = defaultInClusterWebhookAddr
		}
		if e.namespace == "" {
			e.namespace = ns
		}
	}
	if e.addr == "" {
		e.addr = defaultLocalWebhookAddr
	}
	if e.namespace == "" {
		e.namespace = os.Getenv("POD_NAMESPACE")
	}
	if e.namespace == "" {
		e.namespace = DefaultSystemNamespace
	}
	if o.URL != "" {
		if e.service != nil {
			return e, errors.New("--webhook-url and --webhook-service are alternatives: give one")
		}
		host, ok := strings.CutPrefix(strings.TrimSuffix(o.URL, "/"), "https://")
		if !ok {
			return e, fmt.Errorf("--webhook-url %q must start with https://: the API server calls webhooks over TLS only", o.URL)
		}
		e.baseURL = "https://" + host
		e.hosts = hostsFor(hostOf(host))
	}
	if o.MemberURL != "" {
		host, ok := strings.CutPrefix(strings.TrimSuffix(o.MemberURL, "/"), "https://")
		if !ok {
			return e, fmt.Errorf("--member-webhook-url %q must start with https://: the API server calls webhooks over TLS only", o.MemberURL)
		}
		e.memberURL = "https://" + host
		e.hosts = e.hosts.With(hostsFor(hostOf(host)))
	}
	return e, nil
}

// hostOf is the host of host:port, or host when it has no port.
func hostOf(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func hostsFor(host string) certs.Hosts {
	if ip := net.ParseIP(host); ip != nil {
		return certs.Hosts{IPs: []net.IP{ip}}
	}
	return certs.Hosts{DNSNames: []string{host}}
}

// listening completes the endpoint with the address the server actually listens on.
func (e *webhookEndpoint) listening(addr net.Addr) {
	if e.service != nil || e.baseURL != "" {
		return
	}
	tcp, _ := addr.(*net.TCPAddr)
	host := "127.0.0.1"
	if tcp != nil && !tcp.IP.IsUnspecified() {
		host = tcp.IP.String()
	}
	port := 0
	if tcp != nil {
		port = tcp.Port
	}
	e.baseURL = "https://" + net.JoinHostPort(host, strconv.Itoa(port))
	hosts := hostsFor(host)
	if host == "127.0.0.1" {
		hosts.DNSNames = []string{"localhost"}
	}
	e.hosts = hosts.With(e.hosts)
}

// memberQuotaURL is the URL of the tenant quota webhook as the member cluster named cluster calls it; empty when
// members cannot reach naas. Members call the base URL naas is called at unless --member-webhook-url says
// otherwise; through a Service, only with it.
func (e webhookEndpoint) memberQuotaURL(cluster string) string {
	base := e.memberURL
	if base == "" && e.service == nil {
		base = e.baseURL
	}
	if base == "" {
		return ""
	}
	return base + strings.Replace(pathMemberTenantQuota, "{cluster}", cluster, 1)
}

func (e webhookEndpoint) clientConfig(path string) admissionregistrationv1.WebhookClientConfig {
	if e.service != nil {
		return admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{
			Namespace: e.service.Namespace, Name: e.service.Name, Path: ptr.To(path), Port: ptr.To(cmp.Or(e.servicePort, defaultServicePort)),
		}}
	}
	return admissionregistrationv1.WebhookClientConfig{URL: ptr.To(e.baseURL + path)}
}

// registerWebhooks starts the admission webhook server on its own port with a certificate naas manages,
// registers the webhook configurations pointing at it, and the controllers that the admission policies and
// the tenant quota need.
func (p *Platform) registerWebhooks(ctx context.Context) error {
	o := p.opts.Webhook
	e, err := o.resolve()
	if err != nil {
		return err
	}
	// The certificates and ledgers must not be read through the manager's cache: it would cache every
	// Secret and ConfigMap of the cluster, and ledger writes must see the latest resourceVersion.
	direct, err := client.New(p.opts.Config, client.Options{Scheme: p.Manager.GetScheme()})
	if err != nil {
		return err
	}
	if err := ensureNamespace(ctx, direct, e.namespace); err != nil {
		return err
	}
	listener, err := net.Listen("tcp", e.addr)
	if err != nil {
		return fmt.Errorf("listen on %s for admission webhooks: %w (set --webhook-addr)", e.addr, err)
	}
	e.listening(listener.Addr())

	mgr := p.Manager
	// Hostname admission reads only the claims whose hostnames overlap the ones asked for, through these.
	if err := hostnames.SetupIndexes(ctx, mgr.GetFieldIndexer(), p.opts.Bundle.BaseDomain); err != nil {
		return fmt.Errorf("index claims and tenants by hostname: %w", err)
	}
	decoder := admission.NewDecoder(mgr.GetScheme())
	privileged := webhook.Privileged([]string{p.Identity})
	ledgers := tenantledger.NewStore(direct, e.namespace)
	counter := &tenantledger.Counter{Reader: mgr.GetAPIReader()}
	if p.fleet {
		// The tenant-wide quota is counted over every cluster of the fleet, from every replica.
		counter.Fleet = &cluster.Readers{Cache: mgr.GetClient(), Secrets: mgr.GetAPIReader(), Namespace: e.namespace, Scheme: mgr.GetScheme()}
	}
	mux := http.NewServeMux()
	claimsDefaulter := &namespaceclaim.Defaulter{Privileged: privileged, Decoder: decoder}
	claimsValidator := &namespaceclaim.Validator{
		Client: mgr.GetClient(), Cache: mgr.GetCache(), Ledgers: ledgers, Privileged: privileged, Decoder: decoder,
	}
	hostnamesDefaulter := &hostnames.Defaulter{Client: mgr.GetClient(), BaseDomain: p.opts.Bundle.BaseDomain, Decoder: decoder}
	hostLedgers := hostnames.NewStore(direct, e.namespace)
	// Before anything is admitted: the ledgers of earlier versions hold the last minute's reservations.
	if err := hostLedgers.Migrate(ctx); err != nil {
		_ = listener.Close()
		return err
	}
	hostnamesValidator := &hostnames.Validator{
		Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Ledgers: hostLedgers,
		BaseDomain: p.opts.Bundle.BaseDomain, Privileged: privileged, Decoder: decoder, Indexed: true,
	}
	quotaValidator := &tenantquota.Validator{
		Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Ledgers: ledgers, Counter: counter, Decoder: decoder,
	}
	createUpdate := []string{string(admissionv1.Create), string(admissionv1.Update)}
	for path, h := range map[string]admission.Handler{
		// A claim passes one mutating and one validating webhook: each call costs kube-apiserver a round trip
		// and the encoding of the claim, so the claim's and its hostnames' checks share them.
		pathMutateClaims: webhook.Chain(webhook.Step{Handler: claimsDefaulter}, webhook.Step{Handler: hostnamesDefaulter}),
		pathValidateClaims: webhook.Chain(webhook.Step{Handler: claimsValidator},
			webhook.Step{Handler: hostnamesValidator, Operations: createUpdate}),
		pathValidateTenant: &tenant.Validator{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Decoder: decoder},
		pathTenantQuota:    quotaValidator,
		// Served whether registered or not: a replica may be serving a configuration another replica wrote.
		pathMutatePullPolicy: &pullpolicy.Defaulter{Client: mgr.GetClient(), Decoder: decoder},
		pathValidateRoleBindings: &rolebinding.Validator{
			Client: mgr.GetClient(), Decoder: decoder,
			// The audit store is opened with the REST API, after the webhooks are registered.
			Audit: func() audit.Store { return p.api.audit },
		},
		// Served for the webhook configurations of earlier versions, until naas has replaced them.
		pathMutateHostnames:   hostnamesDefaulter,
		pathValidateHostnames: hostnamesValidator,
	} {
		handler, err := admission.StandaloneWebhook(&admission.Webhook{Handler: h, LogConstructor: requestLogger},
			admission.StandaloneOptions{MetricsPath: path})
		if err != nil {
			return err
		}
		mux.Handle(path, handler)
	}
	// The tenant quota as members' API servers call it: the same validator, told which member calls.
	memberQuotaHandler, err := admission.StandaloneWebhook(&admission.Webhook{
		Handler: quotaValidator, LogConstructor: requestLogger, WithContextFunc: tenantquota.WithClusterFromPath,
	}, admission.StandaloneOptions{MetricsPath: pathMemberTenantQuota})
	if err != nil {
		return err
	}
	mux.Handle(pathMemberTenantQuota, memberQuotaHandler)

	certManager := &certs.Manager{
		Client:   direct,
		Secret:   types.NamespacedName{Namespace: e.namespace, Name: WebhookCertSecretName},
		Policy:   certs.Policy{Hosts: e.hosts},
		Interval: o.CertCheckInterval,
		Publish: func(ctx context.Context, caBundle []byte) error {
			// Members get the CA at their Cluster's next pass.
			p.memberQuota.Store(&memberQuota{endpoint: e, caBundle: caBundle})
			return applyObjects(ctx, direct, webhookConfigurations(e, caBundle, !p.mutatingPolicies)...)
		},
	}
	// The first certificate is made, and the configurations registered, before anything is served.
	if err := certManager.Check(ctx); err != nil {
		_ = listener.Close()
		return fmt.Errorf("set up the webhook serving certificate: %w", err)
	}
	server := &webhookServer{listener: listener, handler: mux, getCertificate: certManager.GetCertificate}
	p.opts.ReadyChecks = append(p.opts.ReadyChecks, server.ready)
	// Hostname ledgers live about a minute after their last admission: the leader collects them.
	collectHostnames := manager.RunnableFunc(func(ctx context.Context) error {
		wait.UntilWithContext(ctx, func(ctx context.Context) {
			if err := hostnamesValidator.Collect(ctx); err != nil {
				ctrl.LoggerFrom(ctx).Error(err, "Collect expired hostname reservations")
			}
		}, domains.ReservationTTL)
		return nil
	})
	for _, r := range []manager.Runnable{server, certManager, collectHostnames} {
		if err := mgr.Add(r); err != nil {
			return err
		}
	}

	for _, kind := range []string{"Tenant", "Tier"} {
		r := &workloadpolicy.BindingReconciler{Client: mgr.GetClient(), Kind: kind, MutatingPolicies: p.mutatingPolicies}
		if err := r.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("set up the %s workload policy binding controller: %w", kind, err)
		}
	}
	if err := (&fairness.TierReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up the tier priority level controller: %w", err)
	}
	if err := (&fairness.TenantReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up the tenant FlowSchema controller: %w", err)
	}
	quotaReconciler := &workloadpolicy.QuotaReconciler{Client: mgr.GetClient(), Ledgers: ledgers, Counter: counter, SyncPeriod: o.QuotaSyncPeriod}
	if err := quotaReconciler.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up the tenant quota controller: %w", err)
	}
	p.opts.Progress("admission webhooks serving on %s", listener.Addr())
	return nil
}

// ensureNamespace makes sure the system namespace exists, reading before creating so that a start against a
// cluster that has it makes no write.
func ensureNamespace(ctx context.Context, c client.Client, name string) error {
	ns, err := existing(ctx, c, corev1.SchemeGroupVersion.WithKind("Namespace"), client.ObjectKey{Name: name})
	switch {
	case err != nil:
		return fmt.Errorf("read the system namespace %s: %w", name, err)
	case ns != nil && ns.DeletionTimestamp != nil:
		return fmt.Errorf("the system namespace %s is being deleted: wait until it is gone, or set --system-namespace to use another", name)
	case ns != nil:
		return nil
	}
	if _, err := create(ctx, c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		return fmt.Errorf("create the system namespace %s (set --system-namespace to use another): %w", name, err)
	}
	return nil
}

func applyObjects(ctx context.Context, c client.Client, objs ...runtime.Object) error {
	for _, obj := range objs {
		u, err := apply.ToUnstructured(obj)
		if err != nil {
			return err
		}
		if _, err := apply.Apply(ctx, c, c, u); err != nil {
			return err
		}
	}
	return nil
}

// webhookConfigurations are naas's webhook configurations. Every webhook fails closed, so that nothing naas
// guards gets through while naas is down, and is scoped so that nothing else waits for naas: naas's own kinds,
// and objects in namespaces labelled app.kubernetes.io/managed-by=naas. pullPolicy registers the webhook that
// sets imagePullPolicy Always, for API servers that do not serve MutatingAdmissionPolicy; it fails open, since
// naas-tier-workloads refuses what it would have changed while naas is down.
func webhookConfigurations(e webhookEndpoint, caBundle []byte, pullPolicy bool) []runtime.Object {
	fail := ptr.To(admissionregistrationv1.Fail)
	equivalent := ptr.To(admissionregistrationv1.Equivalent)
	timeout := ptr.To[int32](WebhookTimeoutSeconds)
	rule := func(group string, ops []admissionregistrationv1.OperationType, resources ...string) admissionregistrationv1.RuleWithOperations {
		return admissionregistrationv1.RuleWithOperations{Operations: ops, Rule: admissionregistrationv1.Rule{
			APIGroups: []string{group}, APIVersions: []string{"*"}, Resources: resources,
		}}
	}
	create := []admissionregistrationv1.OperationType{admissionregistrationv1.Create}
	update := []admissionregistrationv1.OperationType{admissionregistrationv1.Update}
	createUpdate := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}
	all := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update, admissionregistrationv1.Delete}
	cc := func(path string) admissionregistrationv1.WebhookClientConfig {
		c := e.clientConfig(path)
		c.CABundle = caBundle
		return c
	}
	meta := metav1.ObjectMeta{Name: WebhookConfigurationName, Labels: map[string]string{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}}
	group := naasv1alpha1.GroupVersion.Group
	managedNamespaces := &metav1.LabelSelector{MatchLabels: map[string]string{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}}

	mutating := &admissionregistrationv1.MutatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "MutatingWebhookConfiguration"},
		ObjectMeta: meta,
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:                    "namespaceclaims.mutate.naas.dev",
			ClientConfig:            cc(pathMutateClaims),
			Rules:                   []admissionregistrationv1.RuleWithOperations{rule(group, create, "namespaceclaims")},
			FailurePolicy:           fail,
			MatchPolicy:             equivalent,
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			TimeoutSeconds:          timeout,
			AdmissionReviewVersions: []string{"v1"},
			ReinvocationPolicy:      ptr.To(admissionregistrationv1.NeverReinvocationPolicy),
		}},
	}
	if pullPolicy {
		// A pod's containers are fixed once it exists: pods are mutated as they are created, then only the
		// ephemeral containers added to them.
		rules := []admissionregistrationv1.RuleWithOperations{rule("", create, "pods"), rule("", update, "pods/ephemeralcontainers")}
		for _, group := range []string{"", "apps", "batch"} {
			rules = append(rules, rule(group, createUpdate, pullpolicy.TemplateResources[group]...))
		}
		mutating.Webhooks = append(mutating.Webhooks, admissionregistrationv1.MutatingWebhook{
			Name:                    "pull-policy.mutate.naas.dev",
			ClientConfig:            cc(pathMutatePullPolicy),
			Rules:                   rules,
			NamespaceSelector:       managedNamespaces,
			FailurePolicy:           ptr.To(admissionregistrationv1.Ignore),
			MatchPolicy:             equivalent,
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			TimeoutSeconds:          timeout,
			AdmissionReviewVersions: []string{"v1"},
			// Containers a later webhook adds (a mesh's sidecar) are patched too.
			ReinvocationPolicy: ptr.To(admissionregistrationv1.IfNeededReinvocationPolicy),
		})
	}
	validating := &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: meta,
		Webhooks: []admissionregistrationv1.ValidatingWebhook{
			{
				Name:                    "namespaceclaims.validate.naas.dev",
				ClientConfig:            cc(pathValidateClaims),
				Rules:                   []admissionregistrationv1.RuleWithOperations{rule(group, all, "namespaceclaims")},
				FailurePolicy:           fail,
				MatchPolicy:             equivalent,
				SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNoneOnDryRun), // reserves namespace slots and hostnames
				TimeoutSeconds:          timeout,
				AdmissionReviewVersions: []string{"v1"},
			},
			{
				Name:                    "tenants.validate.naas.dev",
				ClientConfig:            cc(pathValidateTenant),
				Rules:                   []admissionregistrationv1.RuleWithOperations{rule(group, createUpdate, "tenants")},
				FailurePolicy:           fail,
				MatchPolicy:             equivalent,
				SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
				TimeoutSeconds:          timeout,
				AdmissionReviewVersions: []string{"v1"},
			},
			{
				// Every RoleBinding a tenant user creates or changes in a naas namespace is decided and audited;
				// naas's own (labelled managed-by=naas, which tenant users cannot set) are not sent.
				Name:              "rolebindings.validate.naas.dev",
				ClientConfig:      cc(pathValidateRoleBindings),
				Rules:             []admissionregistrationv1.RuleWithOperations{rule(rbacv1.GroupName, createUpdate, "rolebindings")},
				NamespaceSelector: managedNamespaces,
				ObjectSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
					Key: naasv1alpha1.LabelManagedBy, Operator: metav1.LabelSelectorOpNotIn, Values: []string{naasv1alpha1.ManagedByValue},
				}}},
				FailurePolicy:           fail,
				MatchPolicy:             equivalent,
				SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNoneOnDryRun), // records in the audit store
				TimeoutSeconds:          timeout,
				AdmissionReviewVersions: []string{"v1"},
			},
		},
	}
	// The tenant quota's creates after tenants, its deletions last: the order of earlier releases.
	quota := platform.TenantQuotaWebhooks(cc(pathTenantQuota), managedNamespaces)
	validating.Webhooks = append(slices.Insert(validating.Webhooks, 2, quota[0]), quota[1])
	return []runtime.Object{mutating, validating}
}

// memberQuota is how member clusters reach naas's tenant quota webhook.
type memberQuota struct {
	endpoint webhookEndpoint
	caBundle []byte
}

// memberQuotaWebhook is how the member cluster named cluster reaches the tenant quota webhook (its URL and the CA
// of naas's serving certificate); nil before the webhooks are registered, or when members cannot reach naas.
func (p *Platform) memberQuotaWebhook(name string) *platform.MemberQuotaWebhook {
	m := p.memberQuota.Load()
	if m == nil {
		return nil
	}
	url := m.endpoint.memberQuotaURL(name)
	if url == "" {
		return nil
	}
	return &platform.MemberQuotaWebhook{URL: url, CABundle: m.caBundle}
}

// webhookServer serves the admission webhooks over TLS on their own listener, on every replica.
type webhookServer struct {
	listener       net.Listener
	handler        http.Handler
	getCertificate func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	serving        atomic.Bool
}

var (
	_ manager.Runnable               = (*webhookServer)(nil)
	_ manager.LeaderElectionRunnable = (*webhookServer)(nil)
)

// Start serves until ctx ends.
func (s *webhookServer) Start(ctx context.Context) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{GetCertificate: s.getCertificate, MinVersion: tls.VersionTLS12},
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(tls.NewListener(s.listener, srv.TLSConfig)) }()
	s.serving.Store(true)
	ctrl.LoggerFrom(ctx).Info("Serving admission webhooks", "addr", s.listener.Addr().String())
	select {
	case err := <-errc:
		s.serving.Store(false)
		return fmt.Errorf("admission webhook server: %w", err)
	case <-ctx.Done():
		s.serving.Store(false)
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdownCtx)
	}
}

// NeedLeaderElection is false: the API server may call any replica.
func (s *webhookServer) NeedLeaderElection() bool { return false }

func (s *webhookServer) ready() error {
	if !s.serving.Load() {
		return errors.New("the admission webhook server is not serving yet")
	}
	return nil
}

// requestLogger is the logger of an admission request: the webhook's own, without controller-runtime's default
// per-request values (object, namespace, name, resource, user, request ID), which zap encodes on every request
// whether anything is logged or not: at 200 claims a second that was a quarter of what naas allocated.
func requestLogger(base logr.Logger, _ *admission.Request) logr.Logger { return base }

// ServiceWebhookConfigurations are naas's webhook configurations for an install that reaches naas through the
// Service namespace/name, without a CA bundle (naas patches it in at start and at every certificate check). The
// Helm chart ships them (charts/naas/files, written by `make generate`), so that uninstalling naas removes them
// with it; naas keeps them current. pullPolicy is left out: naas adds that webhook itself where the API server
// lacks MutatingAdmissionPolicy.
func ServiceWebhookConfigurations(namespace, name string) []runtime.Object {
	e := webhookEndpoint{service: &types.NamespacedName{Namespace: namespace, Name: name}}
	return webhookConfigurations(e, nil, false)
}
