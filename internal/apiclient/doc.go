// Package apiclient is a small typed client of the naas REST API (docs/api.md), used by the naas CLI. Its
// requests and responses are the API's own types (package restv1, which the server serves), so the two cannot drift apart; its
// errors turn the API's problem documents into one line that says what went wrong, plus a fix that says what to
// do about it (see Error and Fix).
package apiclient
