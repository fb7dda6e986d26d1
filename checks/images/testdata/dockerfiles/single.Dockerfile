# A single-stage Go build: the compiler, the shell and root ship with the application.
# want: images/dockerfile-not-multistage, images/dockerfile-base-not-pinned, images/dockerfile-base-not-minimal, images/dockerfile-root-user
FROM golang:1.23
WORKDIR /src
COPY . .
RUN go build -o /app ./cmd/app
ENTRYPOINT ["/app"]
