ARG REGISTRY=ghcr.io/acme
ARG BASE_TAG
# want: images/dockerfile-base-latest, images/dockerfile-base-not-pinned
FROM ubuntu AS tools
# want: images/dockerfile-base-latest, images/dockerfile-base-not-pinned
FROM node:latest AS web
# The tag comes from an ARG without a default: unknown, not judged.
FROM ${REGISTRY}/builder:${BASE_TAG} AS builder
# want: images/dockerfile-base-not-pinned
FROM ${REGISTRY}/runtime:2.1 AS runtime
FROM scratch
COPY --from=runtime /app /app
USER 10001
