// Package portal is the developer portal naas serves at "/": server-rendered pages (html/template, embedded
// with the stylesheet and a small script) over the REST API. Every read and write goes through the API's
// handlers in process, as the signed-in user, so the portal gets the same authorization, validation, rate
// limits, audit and admission as any API client; form errors are the API's field errors shown at their inputs.
// Sign-in is with a token (the API's bearer tokens; naas up's token file and admin token) or, when configured,
// OpenID Connect's authorization code flow with PKCE. Sessions are kept server side behind an HttpOnly,
// SameSite=Lax cookie, and every form carries a CSRF token tied to the session. Provisioning progress streams
// to the browser as server-sent events.
package portal
