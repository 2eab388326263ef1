# The first two targets are the README's quickstart: `make run` starts the
# service on the embedded SQLite database, `make test` runs every test.
GO        ?= go
BIN       := bin/mas-cli
CONFIG    ?= config.yaml
PKGS      := ./...
export CGO_ENABLED := 0

.PHONY: run test build lint bench clean

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/mas-cli

# Creates a configuration on first run (fresh secrets and keys, embedded
# SQLite database in ./mas.db), then starts the server.
run: build
	@if [ ! -f $(CONFIG) ]; then \
		echo "No $(CONFIG): generating a development configuration"; \
		$(BIN) config generate -o $(CONFIG); \
	fi
	$(BIN) server -c $(CONFIG)

# PostgreSQL tests run when MAS_TEST_DATABASE_URL is set; under CI=true they
# fail instead of skipping.
test:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l cmd internal)" || { echo "gofmt needed:"; gofmt -l cmd internal; exit 1; }
	$(GO) test -count=1 -timeout 20m $(PKGS)

lint:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l cmd internal)" || { echo "gofmt needed:"; gofmt -l cmd internal; exit 1; }

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 $(PKGS)

clean:
	rm -rf bin
