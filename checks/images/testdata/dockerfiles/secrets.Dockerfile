# Secrets in ENV and ARG, by name; values are never printed.
# want: images/dockerfile-secret
ARG NPM_TOKEN
FROM node:22-alpine@sha256:96cc8323e25c8cc6ddcb8b965e135cfd57846e8003ec0d7bcec16c5fd5f6d39f
# want: images/dockerfile-secret
ENV DB_PASSWORD=changeme-example APP_ENV=production
# Pointers to secrets and empty values are not secrets.
ENV DB_PASSWORD_FILE=/run/secrets/db API_TOKEN=""
# want: images/dockerfile-secret, images/dockerfile-secret
ARG GITHUB_TOKEN AWS_SECRET_ACCESS_KEY=
ARG AWS_ACCESS_KEY_ID
RUN --mount=type=secret,id=npm,env=NPM_TOKEN npm ci --omit=dev
USER node
