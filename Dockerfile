# syntax=docker/dockerfile:1
#
# The mas-go container image: a drop-in for upstream's image in deployments
# such as matrix-docker-ansible-deploy, which run it as
#
#   docker run --read-only --cap-drop=ALL --user=UID:GID \
#     --mount type=bind,src=.../config.yaml,dst=/config.yaml,ro \
#     --mount type=bind,src=.../keys,dst=/keys,ro  IMAGE
#
# so the image keeps upstream's contract: ENTRYPOINT mas-cli, `server` when no
# command is given, and WORKDIR / because mas-cli reads ./config.yaml when
# neither -c nor MAS_CONFIG is given. Build with `make image` or
#
#   docker build -t mas-go:latest --build-arg VERSION=$(git describe --tags --always) .
#
# It needs BuildKit (Docker with the buildx plugin, which the docker-ce
# packages install, or Podman/Buildah): the build cache mount and the
# $BUILDPLATFORM below are BuildKit features.

# The official images set GOTOOLCHAIN=local, so this tag must provide at least
# the Go version go.mod names; override it to pin a patch release.
ARG GO_VERSION=1.26

# The builder runs on the build machine's own platform and cross-compiles:
# without cgo that is just GOOS/GOARCH, and it avoids emulating the compiler
# when building an arm64 image on amd64 (docker buildx --platform ...).
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src

# Modules first, so that editing the sources does not download them again.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
ARG TARGETOS
ARG TARGETARCH
# .git is not sent to the builder (.dockerignore), so git describe cannot run
# here: the Makefile computes the version and passes it in.
ARG VERSION=dev
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X mas/internal/cli.Version=${VERSION}" \
      -o /out/mas-cli ./cmd/mas-cli \
 && mkdir /out/data

# Runtime base: distroless static rather than scratch. The binary needs only
# what it already carries (templates, migrations and policies are embedded) plus
# CA certificates for outgoing TLS (upstream OIDC providers, SMTP, PostgreSQL
# with ssl_mode verify-*). distroless/static ships those certificates, time
# zone data and a passwd entry for `nonroot` (65532), and is rebuilt when
# Debian updates them; with scratch this file would have to assemble and keep
# all of that current itself. There is no shell or package manager in it,
# which keeps the attack surface close to scratch's.
FROM gcr.io/distroless/static-debian12:nonroot

ARG VERSION=dev
LABEL org.opencontainers.image.title="mas-go" \
      org.opencontainers.image.description="Matrix Authentication Service (Go re-implementation, drop-in for mas-cli)" \
      org.opencontainers.image.version="${VERSION}"

# Owned by root and not writable by the service: the running process cannot
# replace its own binary.
COPY --from=build /out/mas-cli /usr/local/bin/mas-cli

# A place for the embedded SQLite database (database.uri: sqlite:///data/mas.db).
# Mount a volume here; it is created owned by the non-root user so that a
# fresh named volume, which Docker initialises from the image's directory,
# is writable by it. Deployments on PostgreSQL (the playbook's) need no
# writable path at all. No VOLUME instruction: it would create an anonymous
# volume for every container, PostgreSQL deployments included.
COPY --from=build --chown=65532:65532 /out/data /data

# Numeric, so that runtimes checking runAsNonRoot (Kubernetes) can verify it
# without reading /etc/passwd. Deployments may run another uid (the playbook
# passes --user): nothing in the image depends on this one.
USER 65532:65532
WORKDIR /

# web (8080) and internal/health (8081), as in `mas-cli config generate`.
# The process is not root and holds no capabilities, so every listener must
# use a port above 1023.
EXPOSE 8080 8081

ENTRYPOINT ["mas-cli"]
CMD ["server"]
