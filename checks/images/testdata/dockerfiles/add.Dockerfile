FROM gcr.io/distroless/static-debian12:nonroot@sha256:6ec5aa99dc335666e79dc64e4a6c8b89c33a543a1967f20d360922a80dd21f02
# want: images/dockerfile-add-remote
ADD https://example.com/tool.tar.gz /opt/
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/tool.tar.gz /opt/
# want: images/dockerfile-add-remote
ADD git@github.com:acme/config.git /config
ADD local.tar.gz /opt/
