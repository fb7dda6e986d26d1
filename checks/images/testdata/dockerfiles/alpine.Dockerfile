# Alpine is a minimal base; apk add --no-cache leaves no index behind.
FROM alpine:3.20@sha256:1e42bbe2508154c9126d48c2b8a75420c3544343bf86fd041fb7527e017a4b4a
RUN apk add --no-cache ca-certificates
# want: images/dockerfile-package-cache
RUN apk add curl
RUN --mount=type=cache,target=/var/cache/apk apk add jq
USER 10001:10001
