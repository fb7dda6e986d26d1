# The final image is built on a full OS through an intermediate stage; the FROM to fix is the first.
# want: images/dockerfile-base-not-minimal
FROM python:3.12-slim@sha256:2b0079146a74e23bf4ae8f6a28e1b484c6292f6fb904cbb51825b4a19812fcd8 AS runtime
# want: images/dockerfile-package-cache
RUN pip install flask==3.0.3
FROM runtime AS final
RUN pip install --no-cache-dir gunicorn==22.0.0
USER 10001
