package budget

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Webhook delivery: each attempt has a timeout; a failed notification is retried a few times with a growing
// pause, then left undelivered for the next pass, which tries again (the ledger keeps it).
const (
	webhookTimeout  = 10 * time.Second
	webhookAttempts = 3
	webhookBackoff  = time.Second
)

// IdempotencyKeyHeader carries the notification's idempotency key, as the body's idempotencyKey does.
const IdempotencyKeyHeader = "Idempotency-Key"

// WebhookNotifier POSTs budget notifications as JSON.
type WebhookNotifier struct {
	Client   *http.Client
	Attempts int
	Backoff  time.Duration
}

// NewWebhookNotifier returns a notifier with the default timeout, attempts and backoff.
func NewWebhookNotifier() *WebhookNotifier {
	return &WebhookNotifier{Client: &http.Client{Timeout: webhookTimeout}, Attempts: webhookAttempts, Backoff: webhookBackoff}
}

// CheckWebhookURL refuses a URL naas would not send budget figures to: https, or http on a loopback address.
func CheckWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("budget webhook URL %q: %w", raw, err)
	}
	switch {
	case u.Scheme == "https" && u.Host != "":
		return nil
	case u.Scheme == "http":
		if ip := net.ParseIP(u.Hostname()); (ip != nil && ip.IsLoopback()) || u.Hostname() == "localhost" {
			return nil
		}
	}
	return fmt.Errorf("budget webhook URL %q: use https (http only on a loopback address)", raw)
}

// Send POSTs payload to rawURL, retrying on errors and 5xx answers; a 2xx answer is delivered.
func (n *WebhookNotifier) Send(ctx context.Context, rawURL, key string, payload []byte) error {
	if err := CheckWebhookURL(rawURL); err != nil {
		return err
	}
	var last error
	for attempt := range max(n.Attempts, 1) {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(n.Backoff * time.Duration(1<<(attempt-1))):
			}
		}
		retry, err := n.post(ctx, rawURL, key, payload)
		if err == nil {
			return nil
		}
		last = err
		if !retry {
			break
		}
	}
	return fmt.Errorf("send budget notification %s: %w", key, last)
}

func (n *WebhookNotifier) post(ctx context.Context, rawURL, key string, payload []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(payload))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(IdempotencyKeyHeader, key)
	resp, err := n.Client.Do(req)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout:
		return true, fmt.Errorf("%s answered %s", rawURL, resp.Status)
	default:
		return false, fmt.Errorf("%s answered %s", rawURL, resp.Status)
	}
}
