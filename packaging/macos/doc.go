// Package macos holds what makes wgdesk a macOS product: build.sh (make
// macos, on a Mac with the Xcode command line tools) builds the universal
// binary, wraps it into wgdesk.app with fyne package, puts the pure-Go
// wgdesk-service (the launch daemon's binary) beside it, signs both, and makes
// dist/wgdesk-VERSION.pkg with pkgbuild (components.plist, scripts/) and
// productbuild (Distribution.xml), signed and notarised when the
// MACOS_SIGN_APP, MACOS_SIGN_PKG and MACOS_NOTARY_PROFILE variables are
// set. The package's tests run build.sh on Linux against stand-ins for
// the Mac's tools and pin the commands it runs; .github/workflows/macos.yml
// builds and installs the real package on GitHub's Mac runners.
package macos
