# The README's two commands are `make demo` and `make test`.
GO ?= go
BIN := bin/genfwi

.PHONY: setup build test test-short demo bench vet fmt-check clean

setup:
	@bash scripts/setup.sh

build: setup
	$(GO) build -o $(BIN) ./cmd/genfwi

fmt-check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# The whole deterministic suite, including the slower physics checks
# (about 4–6 minutes on 2 cores once built), then the engine's fallbacks:
# pure Go (noblas) and im2col + OpenBLAS convolutions (nodnnl), and the
# concurrency guards that only fail under the race detector.
test: setup fmt-check vet
	$(GO) test -count=1 -timeout 15m ./...
	$(GO) test -count=1 -tags noblas ./tensor ./autograd ./nn
	$(GO) test -count=1 -tags nodnnl ./autograd
	$(GO) test -count=1 -race -run Concurrent ./models/flow

# Only the fast cases (slower ones are skipped under -short).
test-short: setup
	$(GO) test -short -count=1 -timeout 15m ./...

# The main job on the committed weights: real OpenFWI maps from
# ../shared/data/openfwi (or $GENFWI_OPENFWI) when present, otherwise maps from
# genfwi's own generators (the report then says so); output in demo-out/.
demo: build
	bash scripts/demo.sh

clean:
	rm -rf bin demo-out
