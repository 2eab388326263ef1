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

# Creates a trial configuration on first run (fresh secrets and keys,
# embedded SQLite database in ./mas.db, no homeserver: matrix.kind
# standalone), then starts the server.
run: build
	@if [ ! -f $(CONFIG) ]; then \
		echo "No $(CONFIG): generating a trial configuration (SQLite, no homeserver)"; \
		$(BIN) config generate --standalone -o $(CONFIG); \
		echo "Create a user with: $(BIN) manage register-user alice -p 'a long passphrase' -y -c $(CONFIG)"; \
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
