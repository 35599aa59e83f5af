// Package v1 holds the wire types of naas's REST API under /api/v1: the request and response bodies, the problem
// types of its errors (RFC 7807) and the constants a client needs (the path prefix, headers, query values).
//
// It depends on the standard library only, so that clients (internal/apiclient, the CLI, kubectl-naas) import
// the API's contract without the server, the way k8s.io/api stands apart from k8s.io/kubernetes. The server
// (internal/apiserver) serves these types and derives its OpenAPI document from their struct tags: the json tag
// names the property, `required:"true"` makes it required, `doc` describes it and `enum` lists its values
// separated by "|". Import it as restv1.
package v1
