package v1

// Prefix is the path every route of the API starts with.
const Prefix = "/api/v1"

// RequestIDHeader carries the request id: a client may send one (it is kept if it is short and plain), and every
// response names the id the request was logged and audited under.
const RequestIDHeader = "X-Request-Id"

// Problem type URIs of the naas API. A client can switch on them; the detail says what to change.
const (
	problemBase        = "https://naas.dev/problems/"
	ProblemValidation  = problemBase + "validation"
	ProblemMalformed   = problemBase + "malformed-request"
	ProblemForbidden   = problemBase + "forbidden"
	ProblemNotFound    = problemBase + "not-found"
	ProblemConflict    = problemBase + "conflict"
	ProblemNoRoute     = problemBase + "no-such-route"
	ProblemMethod      = problemBase + "method-not-allowed"
	ProblemTooLarge    = problemBase + "request-too-large"
	ProblemMediaType   = problemBase + "unsupported-media-type"
	ProblemUnavailable = problemBase + "unavailable"
	ProblemInternal    = problemBase + "internal"
	// The types every naas endpoint shares, not only the API's handlers (internal/httpx writes them too).
	ProblemUnauthenticated = problemBase + "unauthenticated"
	ProblemCSRF            = problemBase + "csrf-token-required"
	ProblemRateLimited     = problemBase + "rate-limited"
)

// KubeconfigContentType is the media type of a kubeconfig answer.
const KubeconfigContentType = "application/yaml"

// Values of the auth query parameter of GET /namespaces/{namespace}/kubeconfig.
const (
	// KubeconfigAuthExec gives OIDC callers an exec credential plugin (kubelogin) that signs them in and
	// refreshes their token: the default.
	KubeconfigAuthExec = "exec"
	// KubeconfigAuthToken embeds the token the caller authenticated with, as is; an OIDC token expires with it.
	KubeconfigAuthToken = "token"
)
