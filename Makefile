# naas: Namespace-as-a-Service for Kubernetes.
# `make run` runs the platform on a local control plane; `make test` runs every test.

SHELL := /usr/bin/env bash -o pipefail
.DEFAULT_GOAL := help

BIN        := $(CURDIR)/bin
GO         ?= go
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    := -X github.com/naas-dev/naas/internal/buildinfo.Version=$(VERSION)
GO_SOURCES := $(shell find api cmd config internal -name '*.go' -o -name '*.yaml' -o -name '*.json' -o -name '*.html' -o -name '*.css' -o -name '*.js' 2>/dev/null) go.mod go.sum
# The local control plane is built for each supported Kubernetes minor from one source tree: controlplane/go.mod
# pins the default minor, controlplane/go.<minor>.mod the others. K8S picks the minor for every target
# (make test K8S=1.36); its binaries go to bin/k8s-<minor>/, and NAAS_K8S tells the tests and naas up which to run.
K8S_MINORS  := 1.36 1.37
K8S_DEFAULT := 1.37
K8S        ?= $(or $(NAAS_K8S),$(K8S_DEFAULT))
ifeq ($(filter $(K8S),$(K8S_MINORS)),)
$(error K8S=$(K8S) is not a supported Kubernetes minor: choose one of $(K8S_MINORS))
endif
export NAAS_K8S := $(K8S)
CP_BIN     := $(BIN)/k8s-$(K8S)
CP_MODFILE := $(if $(filter $(K8S_DEFAULT),$(K8S)),go.mod,go.$(K8S).mod)
CP_SOURCES := $(shell find controlplane -name '*.go' 2>/dev/null) controlplane/$(CP_MODFILE) controlplane/$(CP_MODFILE:.mod=.sum)
# kube-scheduler and kwok (sigs.k8s.io/kwok, simulated nodes) run only when naas up or a test asks for nodes.
CP_BINS    := $(CP_BIN)/etcd $(CP_BIN)/kube-apiserver $(CP_BIN)/kube-controller-manager $(CP_BIN)/kube-scheduler $(CP_BIN)/kwok
TEST_FLAGS ?= -timeout 40m
DATA_DIR   ?= .naas
ADDR       ?= 127.0.0.1:8080
# The SPDX licence expression of the image's label; the project has not chosen a licence yet.
IMAGE_LICENSES ?= NOASSERTION
# What `make generate` writes; `make verify` fails when any of it differs from the commit or is untracked.
GENERATED  := api config/crd test/e2e/apiclient charts/naas/files
# Every Go module (each is checked with `go mod tidy -diff`) and every directory holding Go files (gofmt).
GO_MODULES := . controlplane hack/tools
GO_DIRS    := api bench cmd config controlplane hack internal test

##@ Everyday

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m\n"} \
		/^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } \
		/^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

.PHONY: run
run: build controlplane ## Build what is needed and run the platform on a local control plane (naas up).
	$(BIN)/naas up --data-dir $(DATA_DIR) --addr $(ADDR)

.PHONY: test
test: deps build controlplane ## Install missing test packages, build what is needed and run every test (unit, integration, e2e).
	$(GO) test $(TEST_FLAGS) ./...

.PHONY: deps
deps: ## Install the Debian packages the tests need (as root or with sudo), or print the command that does.
	@hack/deps.sh

.PHONY: build
build: $(BIN)/naas $(BIN)/kubectl-naas ## Build bin/naas and the kubectl plugin bin/kubectl-naas.

$(BIN)/naas: $(GO_SOURCES)
	@mkdir -p $(BIN)
	$(GO) build -ldflags "$(LDFLAGS)" -o $@ ./cmd/naas

$(BIN)/kubectl-naas: $(GO_SOURCES)
	@mkdir -p $(BIN)
	$(GO) build -ldflags "$(LDFLAGS)" -o $@ ./cmd/kubectl-naas

.PHONY: image
image: ## Build the OCI image of naas (static, non-root, no shell) as bin/naas-image.tar, an OCI layout tar: no Docker needed.
	$(GO) run ./hack/image -out $(BIN)/naas-image.tar -ldflags "$(LDFLAGS)" -arch $$($(GO) env GOARCH) \
		-version $(VERSION) -revision $$(git rev-parse HEAD 2>/dev/null || echo unknown) -licenses $(IMAGE_LICENSES)

.PHONY: controlplane
controlplane: $(CP_BINS) ## Build etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok for Kubernetes $(K8S) into bin/k8s-$(K8S)/ (no-op when up to date).

$(CP_BIN)/%: $(CP_SOURCES)
	@mkdir -p $(CP_BIN)
	@echo ">> building $* for Kubernetes $(K8S) from the Kubernetes modules (the first build of a minor takes about 5 minutes on 2 cores)"
	cd controlplane && $(GO) build -modfile=$(CP_MODFILE) -o $@ ./cmd/$*
	@touch $@

##@ Development

.PHONY: generate
generate: $(BIN)/controller-gen ## Generate deepcopy code and CRDs from api/, and the REST API's test client from its OpenAPI document.
	$(BIN)/controller-gen object paths=./api/...
	$(BIN)/controller-gen crd paths=./api/... output:crd:artifacts:config=config/crd
	$(GO) generate ./test/e2e/apiclient/
	$(GO) run ./hack/chartgen

.PHONY: verify
verify: generate ## Fail if generated files are stale or untracked, a go.mod is not tidy, or Go code is not gofmt'd.
	@echo ">> generated files are committed and up to date"
	@changed=$$(git status --porcelain --untracked-files=all -- $(GENERATED)); \
	if [ -n "$$changed" ]; then echo "$$changed"; git --no-pager diff -- $(GENERATED); \
		echo "generated files are out of date or not committed: run 'make generate' and commit"; exit 1; fi
	@echo ">> go mod tidy -diff ($(GO_MODULES))"
	@for m in $(GO_MODULES); do \
		(cd $$m && $(GO) mod tidy -diff) || { echo "$$m/go.mod is not tidy: run 'cd $$m && go mod tidy' and commit"; exit 1; }; done
	@for f in $(filter-out go.mod,$(notdir $(wildcard controlplane/go.*.mod))); do \
		(cd controlplane && $(GO) mod tidy -modfile=$$f -diff) || { echo "controlplane/$$f is not tidy: run 'cd controlplane && go mod tidy -modfile=$$f' and commit"; exit 1; }; done
	@echo ">> gofmt -l"
	@unformatted=$$(gofmt -l $(GO_DIRS)); \
	if [ -n "$$unformatted" ]; then echo "$$unformatted"; echo "these files are not gofmt'd: run 'make fmt'"; exit 1; fi

.PHONY: lint
lint: $(BIN)/golangci-lint ## Run golangci-lint with the repository's strict configuration.
	$(BIN)/golangci-lint run --allow-parallel-runners ./...

.PHONY: fmt
fmt: ## Format the Go sources.
	gofmt -w $(GO_DIRS)

# Packages whose tests run on a local control plane are those importing internal/testenv; the others are unit tests.
LIST_PKGS := $(GO) list -f '{{.ImportPath}} {{.Imports}} {{.TestImports}} {{.XTestImports}}' ./...

.PHONY: unit
unit: ## Run the unit tests only (no control plane).
	$(GO) test $(TEST_FLAGS) $$($(LIST_PKGS) | awk '!/naas\/internal\/testenv/ {print $$1}')

.PHONY: integration
integration: deps build controlplane ## Run the tests that need a control plane (integration, end-to-end, bench smoke) on Kubernetes $(K8S).
	$(GO) test $(TEST_FLAGS) $$($(LIST_PKGS) | awk '/naas\/internal\/testenv/ {print $$1}')

.PHONY: integration-other-minors
integration-other-minors: ## Run the integration and end-to-end tests on each supported Kubernetes minor but the default (CI).
	@for m in $(filter-out $(K8S_DEFAULT),$(K8S_MINORS)); do \
		start=$$SECONDS; $(MAKE) integration K8S=$$m || exit 1; \
		echo ">> Kubernetes $$m: control plane build and integration tests took $$((SECONDS - start))s"; \
	done

.PHONY: bench
bench: build controlplane ## Run the benchmark suite on the local control plane (about 40 minutes) and write bench/results/.
	$(GO) test -run '^$$' -bench BenchmarkSuite -benchtime 1x -timeout 90m ./bench/ -args -report-dir=$(CURDIR)/bench/results

.PHONY: bench-smoke
bench-smoke: build controlplane ## Every benchmark figure at small sizes (about a minute); make test runs it too.
	$(GO) test -count=1 -run TestBenchSmoke -timeout 10m ./bench/

.PHONY: clean
clean: ## Remove build outputs (keeps the control plane binaries: see clean-all).
	rm -f $(BIN)/naas $(BIN)/kubectl-naas

.PHONY: clean-all
clean-all: ## Remove every build output, including the control plane binaries.
	rm -rf $(BIN)

$(BIN)/controller-gen: hack/tools/go.mod hack/tools/go.sum
	@mkdir -p $(BIN)
	cd hack/tools && $(GO) build -o $(BIN)/controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen

$(BIN)/golangci-lint: hack/tools/go.mod hack/tools/go.sum
	@mkdir -p $(BIN)
	cd hack/tools && $(GO) build -o $(BIN)/golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint
