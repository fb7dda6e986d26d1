# kubeharden — `make test` is what CI runs (.ci/run); `make unit` is the fast loop.
SHELL := /bin/bash
GO ?= go
PKGS := ./...
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
export KUBEHARDEN_TESTBIN ?= $(CURDIR)/.cache/testbin

.PHONY: all build unit test testbin browser lint fuzz docs bench bench-scale bench-live load cluster clean release release-test

all: build

## build: the release binary (static, no cgo) in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/kubeharden ./cmd/kubeharden

## release: static binaries for linux, darwin and windows on amd64 and arm64 in dist/, the
## version from git describe, krew archives, SHA256SUMS and the krew manifest filled in
release:
	hack/release.sh

## release-test: make release into a temporary directory and check all six binaries
release-test:
	KUBEHARDEN_RELEASE_TEST=1 $(GO) test -run '^TestRelease$$' -v -timeout 90m ./cmd/kubeharden/

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

## fuzz: a short run of every fuzz target. Budgets are counts of inputs, not durations: Go
## 1.26's fuzz coordinator can fail a run whose -fuzztime deadline passes while a worker is
## busy ("context deadline exceeded", no crasher; golang/go#75804, fixed in Go 1.27).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 10000x ./load
	$(GO) test -run '^$$' -fuzz '^FuzzFast$$' -fuzztime 30000x ./load
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 30000x ./dockerfile
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeFast$$' -fuzztime 30000x ./audit
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeReview$$' -fuzztime 30000x ./admission

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
	$(GO) test ./monitor -run '^TestChartWebhookRulesCurrent$$' -update

## bench: the engine and scan benchmarks recorded in docs/performance.md, and the release
## binary as a process on both generator profiles (BenchmarkScanBinary)
bench:
	$(GO) test -p 1 -run '^$$' -bench . -benchmem ./load/ ./scan/ ./rbac/ ./netpol/ ./netpol/generate/ ./attack/ ./check/ ./checks/rbac/ ./checks/secrets/ ./checks/attack/ ./report/ ./cmd/kubeharden/

## bench-scale: the scale table (issue 19): the release binary on both generator profiles
bench-scale:
	hack/bench-scale.sh

## load: the admission webhook at 500 requests/s for 30 s over loopback HTTPS, alone on the machine
load: testbin
	KUBEHARDEN_E2E=required KUBEHARDEN_LOAD=1 $(GO) test -count=1 -run '^TestWebhookLoad$$' -v ./internal/e2e/enforce/

## bench-live: scan --cluster of a generated 10,000-workload cluster vs bare lists (~3 min)
bench-live: testbin
	KUBEHARDEN_BENCH_LIVE=1 $(GO) test -run '^TestLiveClusterBenchmark$$' -v -timeout 60m ./internal/e2e/
	KUBEHARDEN_BENCH_LIVE=1 $(GO) test -run '^TestMonitorBenchmark$$' -v -timeout 60m ./monitor/

## cluster: start a real control plane in the foreground; kubeconfig in .cache/testcluster/
cluster: testbin
	$(GO) run ./internal/testcluster/cmd/testcluster

clean:
	rm -rf bin .cache/testcluster
