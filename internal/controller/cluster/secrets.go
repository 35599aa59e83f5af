package cluster

import (
	"context"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
)

// secretWatches tell the controller at once when a member's kubeconfig Secret changes, so that rotated
// credentials are used within seconds rather than at the next periodic pass. Each Secret is watched alone, by
// name (field selector metadata.name) and as metadata only: naas's rights name each Secret
// (platform.KubeconfigReaderRules), never its namespace's Secrets at large. A Secret naas may not watch (not
// named in that Role) is read at the periodic pass only.
type secretWatches struct {
	md        metadata.Interface
	namespace string
	changed   func(ctx context.Context, cluster string)

	mu      sync.Mutex
	ctx     context.Context
	watches map[string]secretWatch // by cluster
}

type secretWatch struct {
	secret string
	cancel context.CancelFunc
}

var secretsResource = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// Start keeps ctx as the context the watches run under, until it ends. It implements manager.Runnable.
func (w *secretWatches) Start(ctx context.Context) error {
	w.mu.Lock()
	w.ctx = ctx
	w.mu.Unlock()
	<-ctx.Done()
	return nil
}

// NeedLeaderElection implements manager.LeaderElectionRunnable: the leader keeps the fleet.
func (w *secretWatches) NeedLeaderElection() bool { return true }

// ensure watches the kubeconfig Secret named secret of the cluster, replacing a watch of another Secret.
func (w *secretWatches) ensure(ctx context.Context, cluster, secret string) {
	if w == nil || w.md == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if cur, ok := w.watches[cluster]; ok {
		if cur.secret == secret {
			return
		}
		cur.cancel()
	}
	if w.ctx == nil {
		return // not started: the next pass watches it
	}
	if w.watches == nil {
		w.watches = map[string]secretWatch{}
	}
	wctx, cancel := context.WithCancel(w.ctx)
	w.watches[cluster] = secretWatch{secret: secret, cancel: cancel}
	log := ctrl.LoggerFrom(ctx).WithValues("secret", w.namespace+"/"+secret)
	byName := fields.OneTermEqualSelector("metadata.name", secret).String()
	inf := metadatainformer.NewFilteredMetadataInformer(w.md, secretsResource, w.namespace, 0, cache.Indexers{},
		func(o *metav1.ListOptions) { o.FieldSelector = byName }).Informer()
	_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		if apierrors.IsForbidden(err) {
			log.Info("naas may not watch the kubeconfig Secret (it is not named in the Role " +
				"naas-cluster-kubeconfigs): new credentials are read at the periodic pass only")
			cancel()
		}
	})
	notify := func(any) { w.changed(wctx, cluster) }
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    notify,
		UpdateFunc: func(_, o any) { notify(o) },
		DeleteFunc: notify,
	}); err != nil {
		cancel()
		return
	}
	go inf.RunWithContext(wctx)
}

// stop ends the watch of the cluster's Secret.
func (w *secretWatches) stop(cluster string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if cur, ok := w.watches[cluster]; ok {
		cur.cancel()
		delete(w.watches, cluster)
	}
}
