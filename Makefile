# naas: Namespace-as-a-Service for Kubernetes.
# `make run` runs the platform on a local control plane; `make test` runs every test.

SHELL := /usr/bin/env bash -o pipefail
.DEFAULT_GOAL := help

BIN        := $(CURDIR)/bin
GO         ?= go
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    := -X github.com/naas-dev/naas/internal/buildinfo.Version=$(VERSION)
GO_SOURCES := $(shell find api cmd config internal -name '*.go' -o -name '*.yaml' -o -name '*.json' -o -name '*.html' -o -name '*.css' -o -name '*.js' 2>/dev/null) go.mod go.sum
CP_SOURCES := $(shell find controlplane -name '*.go' 2>/dev/null) controlplane/go.mod controlplane/go.sum
CP_BINS    := $(BIN)/etcd $(BIN)/kube-apiserver $(BIN)/kube-controller-manager
TEST_FLAGS ?= -timeout 40m
DATA_DIR   ?= .naas
ADDR       ?= 127.0.0.1:8080
# The SPDX licence expression of the image's label; the project has not chosen a licence yet.
IMAGE_LICENSES ?= NOASSERTION
# What `make generate` writes; `make verify` fails when any of it differs from the commit or is untracked.
GENERATED  := api config/crd
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
controlplane: $(CP_BINS) ## Build etcd, kube-apiserver and kube-controller-manager into bin/ (no-op when up to date).

$(BIN)/%: $(CP_SOURCES)
	@mkdir -p $(BIN)
	@echo ">> building $* from the Kubernetes modules (the first build takes about 5 minutes on 2 cores)"
	cd controlplane && $(GO) build -o $(BIN)/$* ./cmd/$*
	@touch $@

##@ Development

.PHONY: generate
generate: $(BIN)/controller-gen ## Generate deepcopy code and CRDs from api/.
	$(BIN)/controller-gen object paths=./api/...
	$(BIN)/controller-gen crd paths=./api/... output:crd:artifacts:config=config/crd

.PHONY: verify
verify: generate ## Fail if generated files are stale or untracked, a go.mod is not tidy, or Go code is not gofmt'd.
	@echo ">> generated files are committed and up to date"
	@changed=$$(git status --porcelain --untracked-files=all -- $(GENERATED)); \
	if [ -n "$$changed" ]; then echo "$$changed"; git --no-pager diff -- $(GENERATED); \
		echo "generated files are out of date or not committed: run 'make generate' and commit"; exit 1; fi
	@echo ">> go mod tidy -diff ($(GO_MODULES))"
	@for m in $(GO_MODULES); do \
		(cd $$m && $(GO) mod tidy -diff) || { echo "$$m/go.mod is not tidy: run 'cd $$m && go mod tidy' and commit"; exit 1; }; done
	@echo ">> gofmt -l"
	@unformatted=$$(gofmt -l $(GO_DIRS)); \
	if [ -n "$$unformatted" ]; then echo "$$unformatted"; echo "these files are not gofmt'd: run 'make fmt'"; exit 1; fi

.PHONY: lint
lint: $(BIN)/golangci-lint ## Run golangci-lint with the repository's strict configuration.
	$(BIN)/golangci-lint run --allow-parallel-runners ./...

.PHONY: fmt
fmt: ## Format the Go sources.
	gofmt -w $(GO_DIRS)

.PHONY: unit
unit: ## Run the unit tests only (no control plane).
	$(GO) test $(TEST_FLAGS) $$($(GO) list ./... | grep -v -e /test/integration/ -e /test/e2e -e /internal/testenv)

.PHONY: bench
bench: build controlplane ## Run the benchmark suite on the local control plane (about 25 minutes) and write bench/results/.
	$(GO) test -run '^$$' -bench BenchmarkSuite -benchtime 1x -timeout 60m ./bench/ -args -report-dir=$(CURDIR)/bench/results

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
