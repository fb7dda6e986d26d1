# syntax=docker/dockerfile:1
# The hardened form: pinned bases, a cached build stage, a distroless final stage that runs as
# a numeric non-root user. No findings.
ARG GO_VERSION=1.23.4
FROM golang:${GO_VERSION}@sha256:7003184a1a9fc1d9e00fb5b8a1fd2d0e9cf3e9d3e9b7f5d6a4b4e8bb7f4c5a21 AS build
WORKDIR /src
RUN --mount=type=cache,target=/root/.cache/go-build go build -o /app ./cmd/app

FROM gcr.io/distroless/static-debian12:nonroot@sha256:6ec5aa99dc335666e79dc64e4a6c8b89c33a543a1967f20d360922a80dd21f02
COPY --from=build /app /app
USER 65532:65532
ENTRYPOINT ["/app"]
