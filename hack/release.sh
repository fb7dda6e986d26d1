#!/usr/bin/env bash
# Cross-compiles static kubeharden binaries for every release platform into dist/ (or $DIST),
# packs each with the LICENSE for krew, and writes SHA256SUMS and the krew manifest filled in.
# The version comes from `git describe` unless VERSION is set.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
DIST=${DIST:-dist}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
PLATFORMS=${PLATFORMS:-"linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"}
LDFLAGS="-s -w -X github.com/kubeharden/kubeharden/internal/cli.version=${VERSION}"

rm -rf "$DIST"
mkdir -p "$DIST"
for p in $PLATFORMS; do
	os=${p%/*} arch=${p#*/} ext=""
	[ "$os" = windows ] && ext=.exe
	bin="$DIST/kubeharden-$VERSION-$os-$arch$ext"
	echo "building $bin" >&2
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch "$GO" build -trimpath -ldflags "$LDFLAGS" -o "$bin" ./cmd/kubeharden
	# The krew archive holds the binary under the plugin's name, and the license.
	stage=$(mktemp -d)
	cp "$bin" "$stage/kubectl-harden$ext"
	cp LICENSE "$stage/"
	tar -C "$stage" -czf "$DIST/kubectl-harden-$VERSION-$os-$arch.tar.gz" "kubectl-harden$ext" LICENSE
	rm -rf "$stage"
done
(cd "$DIST" && sha256sum kubeharden-* kubectl-harden-* > SHA256SUMS)

# The krew manifest: the template with the version and each archive's checksum.
manifest=$(sed "s/{{VERSION}}/$VERSION/g" deploy/krew/harden.yaml)
for p in $PLATFORMS; do
	os=${p%/*} arch=${p#*/}
	sum=$(sha256sum "$DIST/kubectl-harden-$VERSION-$os-$arch.tar.gz" | cut -d' ' -f1)
	manifest=${manifest//"{{SHA256_${os}_${arch}}}"/$sum}
done
printf '%s\n' "$manifest" > "$DIST/harden.yaml"
echo "release $VERSION in $DIST/" >&2
