package apiserver

import (
	"context"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
)

// auditTimeout bounds an audit write; the client may have gone, the record must still be written.
const auditTimeout = 15 * time.Second

// intendingClient is a client whose writes are each preceded, once per API request, by the request's audit
// intent (audit.Store.Intend): a change reaches the cluster only once its request is on disk in the audit log,
// so a crash between the two can lose an outcome, never a change. Reads pass through.
type intendingClient struct {
	client.Client
	s *Server
}

var _ client.Client = (*intendingClient)(nil)

func (c *intendingClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	if err := c.s.intend(ctx); err != nil {
		return err
	}
	return c.Client.Create(ctx, obj, opts...)
}

func (c *intendingClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	if err := c.s.intend(ctx); err != nil {
		return err
	}
	return c.Client.Update(ctx, obj, opts...)
}

func (c *intendingClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	if err := c.s.intend(ctx); err != nil {
		return err
	}
	return c.Client.Patch(ctx, obj, patch, opts...)
}

func (c *intendingClient) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
	if err := c.s.intend(ctx); err != nil {
		return err
	}
	return c.Client.Apply(ctx, obj, opts...)
}

func (c *intendingClient) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	if err := c.s.intend(ctx); err != nil {
		return err
	}
	return c.Client.Delete(ctx, obj, opts...)
}

func (c *intendingClient) DeleteAllOf(ctx context.Context, obj client.Object, opts ...client.DeleteAllOfOption) error {
	if err := c.s.intend(ctx); err != nil {
		return err
	}
	return c.Client.DeleteAllOf(ctx, obj, opts...)
}

func (c *intendingClient) Status() client.SubResourceWriter {
	return &intendingSubResource{SubResourceClient: c.Client.SubResource("status"), writer: c.Client.Status(), s: c.s}
}

func (c *intendingClient) SubResource(name string) client.SubResourceClient {
	sub := c.Client.SubResource(name)
	return &intendingSubResource{SubResourceClient: sub, writer: sub, s: c.s}
}

// intendingSubResource is intendingClient for a subresource.
type intendingSubResource struct {
	client.SubResourceClient
	writer client.SubResourceWriter
	s      *Server
}

func (c *intendingSubResource) Create(ctx context.Context, obj, sub client.Object, opts ...client.SubResourceCreateOption) error {
	if err := c.s.intend(ctx); err != nil {
		return err
	}
	return c.writer.Create(ctx, obj, sub, opts...)
}

func (c *intendingSubResource) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	if err := c.s.intend(ctx); err != nil {
		return err
	}
	return c.writer.Update(ctx, obj, opts...)
}

func (c *intendingSubResource) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	if err := c.s.intend(ctx); err != nil {
		return err
	}
	return c.writer.Patch(ctx, obj, patch, opts...)
}

func (c *intendingSubResource) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.SubResourceApplyOption) error {
	if err := c.s.intend(ctx); err != nil {
		return err
	}
	return c.writer.Apply(ctx, obj, opts...)
}

// intend records the audit intent of the request ctx belongs to, once: before its first write. Outside a
// request (no request state), there is nothing to record.
func (s *Server) intend(ctx context.Context) error {
	st, ok := ctx.Value(stateKey{}).(*requestState)
	if !ok || s.cfg.Audit == nil {
		return nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.intentID != 0 {
		return nil
	}
	e := s.requestEvent(st, 0)
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	id, err := s.cfg.Audit.Intend(actx, e)
	if err != nil {
		s.cfg.Log.Error(err, "Cannot audit a request before carrying it out; refusing it",
			"requestId", st.requestID, "action", e.Action, "user", e.User)
		if s.cfg.Metrics != nil {
			s.cfg.Metrics.AuditFailures.Inc()
		}
		return &apiError{
			status: http.StatusServiceUnavailable, typ: restv1.ProblemUnavailable, retryAfter: 5,
			detail: "the request could not be recorded in the audit log, so it was not carried out; retry in a moment, and report the request id to the platform team if this persists",
		}
	}
	st.intentID = id
	return nil
}
