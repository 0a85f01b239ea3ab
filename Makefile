# The README's two commands are `make demo` and `make test`.
GO ?= go
BIN := bin/genfwi

.PHONY: setup build test test-long demo bench vet fmt-check clean

setup:
	@bash scripts/setup.sh

build: setup
	$(GO) build -o $(BIN) ./cmd/genfwi

fmt-check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# Fast, deterministic tests (heavy cases are skipped under -short).
test: setup fmt-check vet
	$(GO) test -short -count=1 -timeout 15m ./...

# Everything, including the slow physics and training checks.
test-long: setup
	$(GO) test -count=1 -timeout 60m ./...

demo: build
	bash scripts/demo.sh

clean:
	rm -rf bin demo-out
