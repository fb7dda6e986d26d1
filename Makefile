# kubeharden — `make test` is what CI runs (.ci/run); `make unit` is the fast loop.
SHELL := /bin/bash
GO ?= go
PKGS := ./...
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
export KUBEHARDEN_TESTBIN ?= $(CURDIR)/.cache/testbin

.PHONY: all build unit test testbin browser lint fuzz docs bench bench-live cluster clean

all: build

## build: the release binary (static, no cgo) in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/kubeharden ./cmd/kubeharden

## unit: vet and the tests that need no control plane (a minute or two)
unit:
	$(GO) vet $(PKGS)
	KUBEHARDEN_E2E=skip $(GO) test -short $(PKGS)

## testbin: build kube-apiserver and etcd for the test control plane (once; ~10 min cold)
testbin:
	hack/testbin/build.sh

## lint: gofmt, vet and staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

## fuzz: a short run of every fuzz target
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 15s ./load
	$(GO) test -run '^$$' -fuzz '^FuzzFast$$' -fuzztime 15s ./load
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 10s ./dockerfile
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeFast$$' -fuzztime 10s ./audit

## browser: Debian's chromium and chromedriver, for the HTML report's browser test
browser:
	hack/chromium.sh

## test: everything CI checks: build, lint, unit + e2e tests against a real control plane and
## a real browser, fuzz
test: testbin browser build lint
	KUBEHARDEN_E2E=required $(GO) test -timeout 20m $(PKGS)
	$(MAKE) fuzz

## docs: regenerate docs/checks.md from the registry
docs:
	$(GO) run ./cmd/kubeharden checks -o md > docs/checks.md

## bench: the engine and scan benchmarks recorded in docs/performance.md
bench:
	$(GO) test -p 1 -run '^$$' -bench . -benchmem ./load/ ./scan/ ./rbac/ ./netpol/ ./attack/

## bench-live: scan --cluster of a generated 10,000-workload cluster vs bare lists (~3 min)
bench-live: testbin
	KUBEHARDEN_BENCH_LIVE=1 $(GO) test -run '^TestLiveClusterBenchmark$$' -v -timeout 60m ./internal/e2e/

## cluster: start a real control plane in the foreground; kubeconfig in .cache/testcluster/
cluster: testbin
	$(GO) run ./internal/testcluster/cmd/testcluster

clean:
	rm -rf bin .cache/testcluster
