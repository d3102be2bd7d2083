# The two set-up commands are `make run` and `make test`; see README.md.
.PHONY: run test build bench fuzz clean

BIN := bin/attest

build:
	go build -o $(BIN) ./cmd/attest

# Runs attest on the embedded store with demo evidence for every capability.
run: build
	./$(BIN) serve --demo

# The whole test suite; CI runs exactly this.
test:
	./scripts/test.sh

# Each benchmark figure in BENCHMARKS.md, with the commands it names.
bench:
	./scripts/bench.sh

# A short fuzzing pass over every parser of outside input.
fuzz:
	./scripts/fuzz.sh

clean:
	rm -rf bin .artifacts
