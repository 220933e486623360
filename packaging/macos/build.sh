#!/usr/bin/env bash
# make macos: wgdesk.app and dist/wgdesk-VERSION.pkg, on a Mac with the
# Xcode command line tools (xcode-select --install) and Go.
#
#   1. the program (app, command line and service in one binary, cgo for
#      Fyne) for each of MACOS_ARCHS, joined by lipo into one universal
#      binary; and the same program without cgo, wgdesk-service, for the
#      launch daemon (the Makefile's build target says why);
#   2. fyne package -os darwin wraps the first into wgdesk.app with
#      FyneApp.toml's name, ID, version and icon; wgdesk-service goes beside
#      it in Contents/MacOS; plutil raises LSMinimumSystemVersion to what
#      Go needs and sets the category;
#   3. codesign: with MACOS_SIGN_APP (a "Developer ID Application: ..."
#      identity) wgdesk-service, the app's binary and then the bundle,
#      hardened runtime and a secure timestamp, as notarisation requires;
#      without it ad-hoc signatures, so the bundle's Info.plist and
#      binaries are sealed together;
#   4. pkgbuild: a component package that puts wgdesk.app in /Applications
#      (not relocatable, so the postinstall always finds it there), with
#      scripts/preinstall and scripts/postinstall;
#   5. productbuild with Distribution.xml, signed with MACOS_SIGN_PKG (a
#      "Developer ID Installer: ..." identity) when it is set;
#   6. with MACOS_NOTARY_PROFILE (a profile saved by xcrun notarytool
#      store-credentials): notarytool submit --wait, then stapler staple.
#
# Environment: VERSION (x.y.z, default FyneApp.toml's), GIT_VERSION (what
# wgdesk version prints, default VERSION), MACOS_ARCHS (default
# "arm64 amd64"), DIST (default dist), GO (default go), FYNE (a fyne
# command; default: go run of the pinned fyne.io/tools, which needs no
# entry in go.mod).
set -euo pipefail

# The fyne CLI that matches the Fyne library in go.mod (v2.7: tools v1.7.2;
# v1.7.3 and later want Fyne v2.8).
FYNE_TOOL=fyne.io/tools/cmd/fyne@v1.7.2
# Go 1.26 runs on macOS 12 and later.
MIN_MACOS=12.0
PKG_ID=io.github.wgdesk.wgdesk.pkg
# wgdesk-service's code signing identifier: the launch daemon's label
# (internal/osservice's LaunchdLabel). A tool has no Info.plist to take one
# from, and codesign would use the file name.
SERVICE_ID=io.github.wgdesk.service

if [ "$(uname -s)" != Darwin ]; then
	echo "make macos needs a Mac with the Xcode command line tools (xcode-select --install): fyne package, codesign, pkgbuild and productbuild exist only on macOS. On Linux, make cross checks the macOS build of everything but the app." >&2
	exit 1
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

GO=${GO:-go}
DIST=${DIST:-dist}
case $DIST in
/*) ;;
*) DIST=$root/$DIST ;;
esac
MACOS_ARCHS=${MACOS_ARCHS:-arm64 amd64}
VERSION=${VERSION:-$(sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)}
GIT_VERSION=${GIT_VERSION:-$VERSION}
MACOS_SIGN_APP=${MACOS_SIGN_APP:-}
MACOS_SIGN_PKG=${MACOS_SIGN_PKG:-}
MACOS_NOTARY_PROFILE=${MACOS_NOTARY_PROFILE:-}
app_id=$(sed -n 's/^ *ID *= *"\(.*\)"/\1/p' FyneApp.toml)
icon=$(sed -n 's/^ *Icon *= *"\(.*\)"/\1/p' FyneApp.toml)

missing=""
for tool in lipo plutil codesign pkgbuild productbuild xcrun; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	echo "make macos needs the Xcode command line tools (xcode-select --install); missing:$missing" >&2
	exit 1
fi
if [ -n "$MACOS_NOTARY_PROFILE" ] && { [ -z "$MACOS_SIGN_APP" ] || [ -z "$MACOS_SIGN_PKG" ]; }; then
	echo "MACOS_NOTARY_PROFILE is set, but Apple notarises only a signed app in a signed package: set MACOS_SIGN_APP and MACOS_SIGN_PKG too." >&2
	exit 1
fi
if [ -z "$VERSION" ] || [ -z "$app_id" ] || [ -z "$icon" ]; then
	echo "FyneApp.toml lacks Version, ID or Icon." >&2
	exit 1
fi

# Installer's names of the processors, for Distribution.xml.
host_archs=()
for arch in $MACOS_ARCHS; do
	case $arch in
	arm64) host_archs+=(arm64) ;;
	amd64) host_archs+=(x86_64) ;;
	*)
		echo "MACOS_ARCHS: unknown architecture $arch (want arm64 and/or amd64)" >&2
		exit 1
		;;
	esac
done
if [ "${#host_archs[@]}" -eq 0 ]; then
	echo "MACOS_ARCHS is empty (want arm64 and/or amd64)" >&2
	exit 1
fi

run_fyne() {
	if [ -n "${FYNE:-}" ]; then
		command "$FYNE" "$@"
	else
		"$GO" run "$FYNE_TOOL" "$@"
	fi
}

work=$DIST/macos
app=$work/root/wgdesk.app
pkg=$DIST/wgdesk-$VERSION.pkg
rm -rf "$work" "$pkg"
mkdir -p "$work/root"

# 1. One binary per architecture; cgo builds the other one too (Apple's
# clang takes -arch, which go passes). Then the service's binary: the same
# main package without cgo, so the root daemon neither links AppKit and
# OpenGL nor runs Fyne's package initialisers (no C compiler runs for it,
# so MACOSX_DEPLOYMENT_TARGET means nothing to it).
slices=()
service_slices=()
for arch in $MACOS_ARCHS; do
	GOOS=darwin GOARCH=$arch CGO_ENABLED=1 MACOSX_DEPLOYMENT_TARGET=$MIN_MACOS \
		"$GO" build -trimpath -ldflags "-X main.version=$GIT_VERSION" -o "$work/wgdesk-$arch" .
	slices+=("$work/wgdesk-$arch")
	GOOS=darwin GOARCH=$arch CGO_ENABLED=0 \
		"$GO" build -trimpath -ldflags "-X main.version=$GIT_VERSION" -o "$work/wgdesk-service-$arch" .
	service_slices+=("$work/wgdesk-service-$arch")
done
if [ "${#slices[@]}" -gt 1 ]; then
	lipo -create -output "$work/wgdesk" "${slices[@]}"
	lipo -create -output "$work/wgdesk-service" "${service_slices[@]}"
else
	cp "${slices[0]}" "$work/wgdesk"
	cp "${service_slices[0]}" "$work/wgdesk-service"
fi

# 2. The bundle. fyne package counts FyneApp.toml's Build up by one after
# each run: keep the tracked file as it was.
cp FyneApp.toml "$work/FyneApp.toml.orig"
trap 'cp "$work/FyneApp.toml.orig" "$root/FyneApp.toml"' EXIT
(cd "$work/root" && run_fyne package -os darwin -src "$root" -executable "$work/wgdesk" \
	-name wgdesk -app-id "$app_id" -app-version "$VERSION" -icon "$root/$icon")
cp "$work/FyneApp.toml.orig" FyneApp.toml
# The daemon's binary goes beside the app's, in Contents/MacOS, which
# Apple's "Placing Content in a Bundle" names for the main executable and
# helper tools (Contents/Helpers is the other place it allows). Beside it,
# the app finds it next to its own executable (internal/macprompt's
# ServiceExe) and the Installer scripts next to wgdesk; inside the bundle,
# the bundle's signature seals it, so it cannot be swapped unnoticed.
cp "$work/wgdesk-service" "$app/Contents/MacOS/wgdesk-service"
chmod 0755 "$app/Contents/MacOS/wgdesk-service"
# No LSUIElement: the app has a window besides its menu-bar icon, so it
# keeps a Dock icon and a place in Cmd-Tab while the window is open.
# Fyne's file dialog reads files itself (it is not the system's open
# panel), so macOS asks before the app reads Desktop, Documents or
# Downloads, where screenshots and downloaded .conf files land: these say
# why in that prompt.
info=$app/Contents/Info.plist
plutil -replace LSMinimumSystemVersion -string "$MIN_MACOS" "$info"
plutil -replace LSApplicationCategoryType -string public.app-category.utilities "$info"
for folder in Desktop Documents Downloads; do
	plutil -replace "NS${folder}FolderUsageDescription" -string \
		"wgdesk reads the tunnel file or QR code screenshot that you choose to import." "$info"
done
plutil -lint "$info"

# 3. Signatures: the inner binaries first, then the bundle that seals them.
# codesign signs the bundle's main executable along with the bundle, but
# other code in it must be signed already (--deep would do it, and Apple
# advises against it), so wgdesk-service is signed first in either case.
if [ -n "$MACOS_SIGN_APP" ]; then
	codesign --force --options runtime --timestamp --identifier "$SERVICE_ID" --sign "$MACOS_SIGN_APP" "$app/Contents/MacOS/wgdesk-service"
	codesign --force --options runtime --timestamp --sign "$MACOS_SIGN_APP" "$app/Contents/MacOS/wgdesk"
	codesign --force --options runtime --timestamp --sign "$MACOS_SIGN_APP" "$app"
else
	codesign --force --identifier "$SERVICE_ID" --sign - "$app/Contents/MacOS/wgdesk-service"
	codesign --force --sign - "$app"
fi
codesign --verify --strict --verbose=2 "$app"

# 4. and 5. The component package and the product archive around it.
pkgbuild --root "$work/root" --component-plist packaging/macos/components.plist \
	--install-location /Applications --scripts packaging/macos/scripts \
	--identifier "$PKG_ID" --version "$VERSION" "$work/wgdesk-component.pkg"
host_list=$(
	IFS=,
	echo "${host_archs[*]}"
)
sed -e "s/@VERSION@/$VERSION/g" -e "s/@HOST_ARCHITECTURES@/$host_list/g" -e "s/@MIN_MACOS@/$MIN_MACOS/g" \
	packaging/macos/Distribution.xml >"$work/Distribution.xml"
sign_pkg=()
if [ -n "$MACOS_SIGN_PKG" ]; then
	sign_pkg=(--sign "$MACOS_SIGN_PKG" --timestamp)
fi
# (${a[@]+"${a[@]}"}: macOS's bash 3.2 calls an empty array unbound.)
productbuild --distribution "$work/Distribution.xml" --package-path "$work" ${sign_pkg[@]+"${sign_pkg[@]}"} "$pkg"

# 6. Notarisation, and the ticket stapled to the package so that
# Gatekeeper accepts it offline.
if [ -n "$MACOS_NOTARY_PROFILE" ]; then
	# notarytool may exit 0 for a rejected ("Invalid") submission; stapler
	# then finds no ticket and fails, so a rejection still stops here.
	xcrun notarytool submit "$pkg" --keychain-profile "$MACOS_NOTARY_PROFILE" --wait
	xcrun stapler staple "$pkg"
fi
echo "built $pkg"
