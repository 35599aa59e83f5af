// Package apiserver is the naas REST API under /api/v1: namespaces (request, status, tier changes, deletion),
// the catalog and tiers, tenants and their members, approvals, usage and budget analytics, and the audit log.
//
// Every request is authenticated (package authn), rate limited per user and per tenant (package ratelimit) and
// decided by tenancy.Authorize, the same function the admission webhooks and the controller use. Writes go
// through the CRDs: claims are written with a client that impersonates the caller, so the API server's RBAC
// and admission see the real user; the few writes naas's permission model grants beyond Kubernetes RBAC
// (approval decisions, member changes by tenant admins) are made as naas after tenancy.Authorize allowed them.
// Every mutating request, allowed or denied, is recorded in the audit store before its response is sent.
//
// The routes are one table (routes.go); the mux and the OpenAPI document at /api/v1/openapi.json are both built
// from it, and the response and request schemas are derived from the Go types the handlers encode, so the
// document cannot drift from the implementation.
package apiserver
