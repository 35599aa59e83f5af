// Package clientcmd holds naas's client commands: the commands that talk to the REST API (login, request,
// list, tenant, audit, kubeconfig, ...) and the kubectl plugin made of them. It depends on the API's wire types
// (api/rest/v1) and its client (internal/apiclient), never on the server: the naas command adds these commands
// next to the server commands (internal/cli), and kubectl-naas links them alone (test/layers checks it).
package clientcmd
