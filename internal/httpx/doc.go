// Package httpx holds the small HTTP conventions every naas endpoint shares: errors are RFC 9457 (formerly
// RFC 7807) problem documents, and a request carries its request id in its context so that error bodies and
// audit records can name it. The REST API, authentication and rate limiting all write errors through
// WriteProblem so that a client sees one error shape whichever layer refused it.
package httpx
