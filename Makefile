# The first two targets are the README's quickstart: `make run` starts the
# service on the embedded SQLite database, `make test` runs every test.
GO        ?= go
BIN       := bin/mas-cli
CONFIG    ?= config.yaml
PKGS      := ./...
export CGO_ENABLED := 0

# The tests that take a store from internal/testdb; they run on SQLite in
# the main pass and again on PostgreSQL in test-postgres-protocol.
PROTOCOL_PKGS := ./internal/oauth/... ./internal/compat/... ./internal/web/... ./internal/session/... ./internal/login/...

.PHONY: run test test-services go-test test-postgres-protocol build lint bench bench-go clean image

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

# Every test, with the real services they need: scripts/test-services
# installs and starts PostgreSQL, Synapse, Mailpit and Chromium (the first
# time: a few minutes; afterwards well under a second) and sets the
# MAS_TEST_* variables for go-test. A service it cannot provide (no root to
# install packages) is reported and its tests skip loudly; under CI=true
# that is a failure instead.
test:
	@set -e; eval "$$(scripts/test-services --env)"; $(MAKE) --no-print-directory go-test

# Installs and starts the test services without running the tests.
test-services:
	@scripts/test-services

# The tests alone, against whatever services the environment names:
# PostgreSQL tests run when MAS_TEST_DATABASE_URL is set and Synapse tests
# when MAS_TEST_SYNAPSE is; under CI=true they fail instead of skipping.
# With PostgreSQL, the protocol tests then run a second time with it as
# their store.
go-test:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l cmd internal)" || { echo "gofmt needed:"; gofmt -l cmd internal; exit 1; }
	$(GO) test -count=1 -timeout 20m $(PKGS)
	@if [ -n "$$MAS_TEST_DATABASE_URL" ]; then \
		echo "--- protocol tests on PostgreSQL (make test-postgres-protocol)"; \
		$(MAKE) --no-print-directory test-postgres-protocol; \
	else \
		echo "--- SKIPPED protocol tests on PostgreSQL: set MAS_TEST_DATABASE_URL to run them"; \
	fi

# Without MAS_TEST_DATABASE_URL every test would skip and go test would
# still say ok, so refuse instead.
test-postgres-protocol:
	@test -n "$$MAS_TEST_DATABASE_URL" || { echo "test-postgres-protocol needs MAS_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)"; exit 1; }
	MAS_TEST_BACKEND=postgres $(GO) test -count=1 $(PROTOCOL_PKGS)

lint:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l cmd internal)" || { echo "gofmt needed:"; gofmt -l cmd internal; exit 1; }

# Go micro-benchmarks of every package.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 $(PKGS)

# Issue 15's figures (docs/performance.md): builds mas-cli, starts the real
# server on a throw-away PostgreSQL database (BENCH_DATABASE_URL, else
# MAS_TEST_DATABASE_URL, else scripts/test-services starts one), or on
# SQLite with BENCH_DB=sqlite, drives it over loopback and prints every
# figure beside a ceiling measured in the same run; also writes
# bench-results.json. BENCH_DURATION=15s is each phase's measured time.
bench: build
	@set -e; if [ "$${BENCH_DB:-postgres}" = postgres ] && [ -z "$$BENCH_DATABASE_URL$$MAS_TEST_DATABASE_URL" ]; then \
		eval "$$(scripts/test-services --env)"; fi; \
	$(GO) run ./internal/bench/cmd -bin $(BIN)

clean:
	rm -rf bin

# The container image (see Dockerfile), with Docker or DOCKER=podman. The
# Dockerfile needs BuildKit: DOCKER_BUILDKIT=1 turns it on for Docker 20.10
# and makes a newer client without the buildx plugin say so, instead of
# failing later on the first BuildKit-only instruction. The version is git's
# description of the checkout, since .git is not part of the build context.
DOCKER    ?= docker
IMAGE     ?= mas-go:latest
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

image:
	DOCKER_BUILDKIT=1 $(DOCKER) build -t $(IMAGE) --build-arg VERSION=$(VERSION) .

# A synthetic Synapse homeserver of N users (about 5 rows each: emails,
# phone numbers, external IDs, devices, access and refresh tokens, guests,
# deactivated, locked, admin and bridge users) for syn2mas, in an empty
# PostgreSQL database or a new SQLite file. Synapse wants its PostgreSQL
# database with LC_COLLATE 'C' (also much faster to index). Add FORCE=1 to
# replace what is there; every password is printed at the end.
.PHONY: synapse-fixture
synapse-fixture:
	@test -n "$(N)" -a -n "$(DB)" || { echo "usage: make synapse-fixture N=100000 DB=postgres://…|FILE.db [FORCE=1]"; exit 1; }
	$(GO) run ./internal/syn2mas/synapsedb/synapsegen/cmd -users $(N) -db '$(DB)' $(if $(FORCE),-force)

# syn2mas's throughput (issue 13): migrates a generated homeserver of
# BENCH_USERS users (about 5 rows each) from PostgreSQL to PostgreSQL with
# `mas-cli syn2mas migrate`, and prints the rows per second end to end, the
# time of each stage, and the same run's ceiling: one COPY of as many rows
# of the same shapes into an empty table on the same server. Targets:
# 100,000 rows/s, and at least half the ceiling. It creates and drops its
# own databases on the server of MAS_TEST_DATABASE_URL (started by
# scripts/test-services when unset). PROFILE=cpu.out writes a CPU profile
# of the run (go tool pprof cpu.out).
BENCH_USERS ?= 1000000
.PHONY: bench-syn2mas
bench-syn2mas:
	@set -e; if [ -z "$$MAS_TEST_DATABASE_URL" ]; then eval "$$(scripts/test-services --env)"; fi; \
	BENCH_USERS=$(BENCH_USERS) $(GO) test ./internal/cli -run '^$$' -bench '^BenchmarkSyn2masPostgres$$' -benchtime 1x -count 1 -timeout 2h \
		$(if $(PROFILE),-cpuprofile $(abspath $(PROFILE)) -o $(abspath $(PROFILE)).test)
