# kubeharden: a static binary on a distroless base, run as a non-root user, with nothing to
# write to (the root filesystem may be read-only).
#
#   docker build -t kubeharden .
#   docker run --rm -v "$PWD:/src:ro" kubeharden scan /src
#
# Base images are pinned by digest; refresh them with `crane digest IMAGE:TAG`.

FROM golang:1.26.8-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/kubeharden ./cmd/kubeharden

FROM gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab
COPY --from=build /out/kubeharden /usr/local/bin/kubeharden
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/kubeharden"]
