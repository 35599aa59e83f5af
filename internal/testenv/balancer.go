package testenv

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/naas-dev/naas/internal/certs"
)

// WebhookBalancer is what a Service is to the webhook servers of several naas replicas: one address the API
// server calls (give it to each replica as --webhook-url https://<Addr>), spreading requests over the replicas
// that answer. It terminates TLS with the webhook serving certificate the replicas share (from their Secret),
// so that it spreads requests, not connections (the API server keeps one HTTP/2 connection to a webhook), and
// sends a request to the next replica when one does not answer. It listens on loopback only.
type WebhookBalancer struct {
	client client.Client
	secret types.NamespacedName
	ln     net.Listener
	srv    *http.Server
	next   atomic.Uint64

	mu       sync.Mutex
	backends []string
	served   map[string]int
}

// StartWebhookBalancer listens on a free loopback port. c reads the Secret named secret that holds the
// replicas' webhook certificates (certs.Manager's keys); it need not exist until the first request.
func StartWebhookBalancer(c client.Client, secret types.NamespacedName) (*WebhookBalancer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &WebhookBalancer{client: c, secret: secret, ln: ln, served: map[string]int{}}
	b.srv = &http.Server{
		Handler:           b,
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: b.certificate},
	}
	go func() { _ = b.srv.ServeTLS(ln, "", "") }()
	return b, nil
}

// Addr is the address the API server calls.
func (b *WebhookBalancer) Addr() string { return b.ln.Addr().String() }

// Add adds the webhook server of a replica, host:port.
func (b *WebhookBalancer) Add(backend string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backends = append(b.backends, backend)
}

// ServedBy returns how many requests each backend answered.
func (b *WebhookBalancer) ServedBy() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]int, len(b.served))
	for k, v := range b.served {
		out[k] = v
	}
	return out
}

// Close stops listening.
func (b *WebhookBalancer) Close() error { return b.srv.Close() }

func (b *WebhookBalancer) readSecret(ctx context.Context) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	err := b.client.Get(ctx, b.secret, s)
	return s, err
}

func (b *WebhookBalancer) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	s, err := b.readSecret(hello.Context())
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(s.Data[certs.KeyCert], s.Data[certs.KeyKey])
	return &pair, err
}

func (b *WebhookBalancer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s, err := b.readSecret(req.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.Data[certs.KeyCACert])
	host, _, _ := net.SplitHostPort(b.Addr())
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		MinVersion: tls.VersionTLS12, RootCAs: pool, ServerName: host,
	}}}
	defer hc.CloseIdleConnections()
	b.mu.Lock()
	backends := append([]string(nil), b.backends...)
	b.mu.Unlock()
	start := int(b.next.Add(1) % uint64(max(len(backends), 1)))
	lastErr := errors.New("no replica")
	for i := range backends {
		backend := backends[(start+i)%len(backends)]
		status, header, respBody, err := forward(req, hc, "https://"+backend+req.URL.RequestURI(), body)
		if err != nil {
			lastErr = err
			continue
		}
		b.mu.Lock()
		b.served[backend]++
		b.mu.Unlock()
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = w.Write(respBody)
		return
	}
	http.Error(w, lastErr.Error(), http.StatusBadGateway)
}

func forward(req *http.Request, hc *http.Client, url string, body []byte) (int, http.Header, []byte, error) {
	out, err := http.NewRequestWithContext(req.Context(), req.Method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	out.Header = req.Header.Clone()
	resp, err := hc.Do(out)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, respBody, nil
}
