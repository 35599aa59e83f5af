// Package authn authenticates callers of the naas REST API. A caller presents a bearer token, either in the
// Authorization header or in the portal's session cookie; an Authenticator turns the token into a User or
// refuses it with ErrUnauthenticated. Two authenticators exist: TokenFile, which reads kube-apiserver's static
// token file (what `naas up` writes for the local control plane), and OIDC, which verifies JWTs from an OpenID
// Connect issuer such as Azure AD, Keycloak or Dex. Union combines them and Middleware puts the User in the
// request context or answers 401.
//
// Authentication only says who the caller is; what they may do is decided elsewhere (package tenancy), so the
// User here is deliberately a separate type that the API layer converts.
package authn
