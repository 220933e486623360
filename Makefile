# wgdesk build, test and run targets. Each target installs the Debian
# packages it needs (as root, or through sudo), so a fresh Debian 12 machine
# needs only Go and make.

SHELL    := /bin/bash
GO       ?= go
BIN      := bin/wgdesk
SERVICE_BIN := bin/wgdesk-service
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FUZZTIME ?= 20s
# Packages whose tests run everywhere, without the GUI toolkit.
CORE_PKGS := ./config/... ./platform/... ./tunnel/... ./cli/... ./internal/... ./bench/... ./packaging .

TEST_DEBS := wireguard-go wireguard-tools iproute2 iputils-ping procps passwd strace systemd tcpdump nftables
RUN_DEBS  := iproute2
# The desktop app (Fyne, OpenGL through cgo) and its headless smoke test.
GUI_DEBS      := gcc libc6-dev libgl1-mesa-dev xorg-dev
GUI_TEST_DEBS := xvfb imagemagick dbus-x11 dbus

.PHONY: all build build-service run test test-all test-gui fuzz lint cross deps-test deps-run deps-gui clean

all: build

# The full binary, bin/wgdesk: service, command line and desktop app (needs
# cgo), and the same program built without cgo, bin/wgdesk-service, for the
# daemon: linking the GUI toolkit loads OpenGL and X11 libraries into every
# process and runs Fyne's package initialisers, which the service must not
# pay for (9 MB resident idle without them, 28 MB with them).
build: deps-gui build-service
	CGO_ENABLED=1 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

# Service and command line only, no desktop app: pure Go, no C toolchain,
# for the daemon, servers and cross builds.
build-service:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(SERVICE_BIN) .

# ---- Windows: the user's exe (item 5 of issue #9) ----
# bin/windows/wgdesk.exe: the desktop app, CLI and service in one exe, built
# with cgo through Debian's MinGW-w64 (Fyne needs OpenGL through cgo) and
# linked as a GUI-subsystem program (-H windowsgui), so no console window
# opens beside the app; CLI verbs attach to the console they were typed in
# (main_windows.go). Measured on 2 shared cores: 9 minutes from an empty
# build cache (535 s wall, 403 s CPU), seconds once cached.
WINDOWS_DEBS := gcc-mingw-w64-x86-64
WINDOWS_EXE  := bin/windows/wgdesk.exe
# The exe's file and product version (four numbers at most), from FyneApp.toml.
WINDOWS_VERSION ?= $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)

.PHONY: windows-gui windows-resources
windows-gui: windows-resources
	$(call apt_install,$(WINDOWS_DEBS))
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc $(GO) build -trimpath -ldflags '$(LDFLAGS) -H windowsgui' -o $(WINDOWS_EXE) .
	# The app's Windows files and tests (single instance, install offer)
	# build only with cgo, which make cross leaves out.
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc $(GO) vet ./app/... .
	WGDESK_WINDOWS_EXE=$(CURDIR)/$(WINDOWS_EXE) WGDESK_WINDOWS_VERSION=$(WINDOWS_VERSION) $(GO) test -count=1 -run '^TestExeResources$$' ./packaging/windows/

# rsrc_windows_amd64.syso (gitignored): icon, manifest (asInvoker,
# per-monitor-v2 DPI awareness, common controls 6, Windows 10 and 11) and
# version resources from packaging/windows/winres/winres.json, which every
# windows/amd64 build of the main package links in.
windows-resources:
	$(GO) tool go-winres make --in packaging/windows/winres/winres.json --arch amd64 --out rsrc \
		--file-version '$(WINDOWS_VERSION)' --product-version '$(WINDOWS_VERSION)'

# make windows [WINTUN_ZIP=path/to/wintun-0.14.1.zip]: the release under
# dist/: wgdesk.exe, wgdesk-VERSION-windows-amd64.zip (the exe, wintun.dll
# and the README) and wgdesk-VERSION-amd64.msi (packaging/windows/wgdesk.wxs,
# built with wixl). Wintun comes first, so that the long build never runs
# for nothing: internal/wintun/cmd/wintun-extract takes the pinned zip from
# WINTUN_ZIP, or downloads it when WINTUN_ZIP is empty, checks its SHA-256
# and writes the amd64 wintun.dll; when it cannot, make stops with its
# sentence and dist/ holds no package.
WINTUN_ZIP ?=
DIST       := dist
WINDOWS_PKG_DEBS := wixl msitools zip imagemagick
WINDOWS_ZIP := $(DIST)/wgdesk-$(WINDOWS_VERSION)-windows-amd64.zip
WINDOWS_MSI := $(DIST)/wgdesk-$(WINDOWS_VERSION)-amd64.msi

.PHONY: windows windows-wintun test-windows-package
windows: windows-wintun windows-gui
	$(call apt_install,$(WINDOWS_PKG_DEBS))
	test -s $(DIST)/wintun.dll
	cp $(WINDOWS_EXE) $(DIST)/wgdesk.exe
	rm -rf $(DIST)/stage && mkdir -p $(DIST)/stage/wgdesk
	cp $(DIST)/wgdesk.exe $(DIST)/wintun.dll README.md $(DIST)/stage/wgdesk/
	cd $(DIST)/stage && zip -qr $(CURDIR)/$(WINDOWS_ZIP) wgdesk
	rm -rf $(DIST)/stage
	convert assets/wgdesk.png -define icon:auto-resize=256,48,32,16 $(DIST)/wgdesk.ico
	cd $(DIST) && wixl -a x64 -D Version=$(WINDOWS_VERSION) -D ExeSource=wgdesk.exe -D WintunSource=wintun.dll \
		-D IconSource=wgdesk.ico -o $(CURDIR)/$(WINDOWS_MSI) $(CURDIR)/packaging/windows/wgdesk.wxs
	rm $(DIST)/wgdesk.ico
	WGDESK_MSI=$(CURDIR)/$(WINDOWS_MSI) WGDESK_WINDOWS_VERSION=$(WINDOWS_VERSION) $(GO) test -count=1 -run '^TestMSITables$$' ./packaging/windows/
	@ls -l $(DIST)

windows-wintun:
	rm -rf $(DIST) && mkdir -p $(DIST)
	$(GO) run ./internal/wintun/cmd/wintun-extract -zip "$(WINTUN_ZIP)" -arch amd64 -out $(DIST)

# The Windows packaging checks that run on Linux: the exe's resources (on a
# stand-in exe built from winres.json in seconds), the MSI's tables (wixl on
# stand-in files, read back with msiinfo) and .github/workflows/windows.yml,
# the workflow for real Windows runners, with actionlint and shellcheck.
ACTIONLINT := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
test-windows-package:
	$(call apt_install,wixl msitools shellcheck)
	$(GO) test -count=1 ./packaging/windows/
	$(GO) run $(ACTIONLINT) .github/workflows/windows.yml

# ---- macOS: wgdesk.app and the .pkg (issue #14) ----
# make macos [MACOS_SIGN_APP=...] [MACOS_SIGN_PKG=...] [MACOS_NOTARY_PROFILE=...]:
# on a Mac with Go and the Xcode command line tools (xcode-select
# --install), dist/wgdesk-VERSION.pkg: a universal (arm64 and amd64)
# wgdesk.app made by fyne package, with the pure-Go wgdesk-service beside
# the app's binary, installed into /Applications, whose postinstall runs
# `wgdesk-service service install` (the launchd daemon runs it). Signed
# with the Developer ID Application and Installer identities and notarised
# with a notarytool keychain profile when those are set
# (packaging/macos/build.sh says how). On Linux it stops with a sentence.
.PHONY: macos test-macos-package
macos:
	VERSION='$(PKG_VERSION)' GIT_VERSION='$(VERSION)' DIST='$(DIST)' GO='$(GO)' packaging/macos/build.sh

# The macOS packaging checks that run on Linux, in seconds: build.sh
# against stand-ins for the Mac's tools (the commands, signed and not,
# pinned in packaging/macos/testdata) and with the real, pinned fyne CLI
# (installed into bin/tools, 25 s from a cold build cache), the Installer
# scripts, the Distribution.xml and plist, shellcheck, and
# .github/workflows/macos.yml (the real build and install on GitHub's Mac
# runners) with actionlint.
FYNE_TOOL = $(shell sed -n 's/^FYNE_TOOL=//p' packaging/macos/build.sh)
test-macos-package:
	$(call apt_install,shellcheck)
	GOBIN=$(CURDIR)/bin/tools $(GO) install $(FYNE_TOOL)
	WGDESK_FYNE=$(CURDIR)/bin/tools/fyne $(GO) test -count=1 ./packaging/macos/
	$(GO) run $(ACTIONLINT) .github/workflows/macos.yml

# ---- Linux packages: .deb and .rpm (issue #13) ----
# make package: dist/wgdesk_VERSION_amd64.deb and dist/wgdesk-VERSION-1.x86_64.rpm,
# built by nfpm (a Go tool in go.mod) from packaging/linux/nfpm.yaml: the
# app (cgo), the service (CGO_ENABLED=0), the systemd unit, the desktop
# entry, AppStream metainfo, hicolor icons and man pages, the last two
# generated into $(PKG_STAGE) by packaging/linux/stage (the man pages from
# the built binary's own help). Maintainer scripts: packaging/linux/*.sh.
# For arm64, only dist/wgdesk-headless_VERSION_arm64.deb and its .rpm
# (nfpm-headless.yaml): the service and the command line, pure Go and cross
# built; an arm64 desktop app needs a cross C toolchain and arm64 GL and
# X11 libraries (multiarch), which CI does not install.
PKG_VERSION ?= $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
PKG_ARCH    := amd64
PKG_STAGE   := $(DIST)/linux/stage
PKG_DEB     := $(DIST)/wgdesk_$(PKG_VERSION)_$(PKG_ARCH).deb
PKG_RPM     := $(DIST)/wgdesk-$(PKG_VERSION)-1.x86_64.rpm
PKG_ARM64_BIN := bin/linux-arm64
PKG_HEADLESS_DEB := $(DIST)/wgdesk-headless_$(PKG_VERSION)_arm64.deb
PKG_HEADLESS_RPM := $(DIST)/wgdesk-headless-$(PKG_VERSION)-1.aarch64.rpm
PACKAGE_TEST_DEBS := rpm desktop-file-utils appstream systemd nftables

.PHONY: package test-package
package: build
	rm -rf $(DIST)/linux $(PKG_DEB) $(PKG_RPM) $(PKG_HEADLESS_DEB) $(PKG_HEADLESS_RPM) && mkdir -p $(PKG_STAGE)
	$(GO) run ./packaging/linux/stage -bin $(SERVICE_BIN) -version $(PKG_VERSION) -out $(PKG_STAGE)
	for format in deb rpm; do \
		ARCH=$(PKG_ARCH) PKG_VERSION=$(PKG_VERSION) BIN_DIR=$(patsubst %/,%,$(dir $(BIN))) STAGE=$(PKG_STAGE) \
			$(GO) tool nfpm package -f packaging/linux/nfpm.yaml -p $$format -t $(DIST)/ || exit 1; \
	done
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(PKG_ARM64_BIN)/wgdesk-service .
	for format in deb rpm; do \
		ARCH=arm64 PKG_VERSION=$(PKG_VERSION) BIN_DIR=$(PKG_ARM64_BIN) STAGE=$(PKG_STAGE) \
			$(GO) tool nfpm package -f packaging/linux/nfpm-headless.yaml -p $$format -t $(DIST)/ || exit 1; \
	done
	@ls -l $(PKG_DEB) $(PKG_RPM) $(PKG_HEADLESS_DEB) $(PKG_HEADLESS_RPM)

# Installs the .deb on this machine for real (dpkg -i), checks it and
# removes it again, also when a check fails (packaging/linux/package_linux_test.go):
# files, modes and owners, the unit (systemd-analyze verify), the desktop
# entry and metainfo, the installed service started as its unit does in a
# network namespace with a tunnel up and down, dpkg -r and --purge; and
# the .rpm's file list; the maintainer scripts' systemd calls in a mount
# namespace where systemd seems to run; the man pages' coverage of every
# verb and flag. It refuses to run where wgdesk is installed.
test-package: package deps-test
	$(call apt_install,$(PACKAGE_TEST_DEBS))
	$(SUDO) env "PATH=$$PATH" "HOME=$$HOME" WGDESK_DEB=$(CURDIR)/$(PKG_DEB) WGDESK_RPM=$(CURDIR)/$(PKG_RPM) \
		WGDESK_HEADLESS_DEB=$(CURDIR)/$(PKG_HEADLESS_DEB) WGDESK_HEADLESS_RPM=$(CURDIR)/$(PKG_HEADLESS_RPM) \
		$(GO) test -count=1 -v ./packaging/linux/...

# Installs Debian packages that are missing; runs apt-get update once.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps-test:
	$(call apt_install,$(TEST_DEBS))
	$(GO) mod download

deps-run:
	$(call apt_install,$(RUN_DEBS))

deps-gui:
	$(call apt_install,$(GUI_DEBS) $(GUI_TEST_DEBS))

# Builds wgdesk and starts it. On a desktop (DISPLAY or WAYLAND_DISPLAY set)
# packaging/run.sh starts the tunnel service as root in the background
# (unless one runs already), the app as you (never as root, unless you are
# logged in as root), and stops the service when the app quits; without a
# display, the service in the foreground, driven by the command line from
# another terminal (sudo bin/wgdesk import my-router.conf).
run: deps-run build
	$(SUDO) mkdir -p /var/lib/wgdesk
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		$(SUDO) env LANG="$${LANG:-C.UTF-8}" DISPLAY="$$DISPLAY" WAYLAND_DISPLAY="$$WAYLAND_DISPLAY" XDG_RUNTIME_DIR="$$XDG_RUNTIME_DIR" \
			XAUTHORITY="$${XAUTHORITY:-$$HOME/.Xauthority}" DBUS_SESSION_BUS_ADDRESS="$$DBUS_SESSION_BUS_ADDRESS" \
			packaging/run.sh $(BIN) $(SERVICE_BIN); \
	else \
		echo "no display: starting the tunnel service; use $(BIN) help from another terminal"; \
		$(SUDO) $(SERVICE_BIN) service --verbose; \
	fi

# Every test: style, vet, cross-OS builds, all tests with the race detector
# (as root: the namespace, TUN and end-to-end tests need it and skip
# without it), then the parser fuzz target for $(FUZZTIME).
test: deps-test deps-gui lint cross test-all test-gui test-wine test-windows-package test-macos-package test-package fuzz

lint:
	@bad=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi
	$(GO) vet $(CORE_PKGS)

# Every non-GUI package must also build for Windows and macOS: go vet with
# ./... patterns passes over a package that has no file for the OS, go
# build does not.
cross:
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) vet $(CORE_PKGS)
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) vet $(CORE_PKGS)
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -o /dev/null ./config/... ./platform/... ./tunnel/... ./cli/... ./internal/... ./bench/... ./packaging/... .
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) build -o /dev/null ./config/... ./platform/... ./tunnel/... ./cli/... ./internal/... ./bench/... ./packaging/... .
	GOOS=darwin GOARCH=amd64 CGO_ENABLED=0 $(GO) build -o /dev/null ./config/... ./platform/... ./tunnel/... ./cli/... ./internal/... ./bench/... ./packaging/... .

test-all:
	$(SUDO) env "PATH=$$PATH" "HOME=$$HOME" $(GO) test -race -count=1 -p 1 $(CORE_PKGS)

# Where the GUI smoke test leaves its screenshot (a CI artifact).
SCREENSHOT_DIR ?= $(CURDIR)/.ci/artifacts

# The desktop app's tests: headless UI tests against a fake service, and a
# smoke test of the real binary under Xvfb (as root; it skips otherwise).
test-gui: deps-gui deps-test
	CGO_ENABLED=1 $(GO) vet ./app/... ./assets/...
	mkdir -p $(SCREENSHOT_DIR)
	$(SUDO) env "PATH=$$PATH" "HOME=$$HOME" WGDESK_SCREENSHOT_DIR=$(SCREENSHOT_DIR) CGO_ENABLED=1 $(GO) test -race -count=1 ./app/... ./assets/...

# The Windows build under Wine 8 (internal/winetest/README.md): every
# package's Windows test binary with the Wine-only failures skipped by name
# (internal/winetest/wine-skips.txt), `parse --json` byte-compared with
# Linux on every fixture, the GUI exe on Xvfb (screenshot kept as
# $(SCREENSHOT_DIR)/windows-main-window.png, OCR'd for Linux-only hints) and
# the service driven over its named pipe. The Wine prefix is kept in
# .ci/cache/wine (gitignored).
WINE_DEBS := wine64 gcc-mingw-w64-x86-64 xvfb imagemagick tesseract-ocr x11-utils

.PHONY: test-wine
test-wine: windows-gui
	$(call apt_install,$(WINE_DEBS))
	mkdir -p $(SCREENSHOT_DIR)
	$(GO) run ./internal/winetest -gui-exe $(WINDOWS_EXE) -screenshot-dir $(SCREENSHOT_DIR)

fuzz:
	$(GO) test ./config -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)

clean:
	rm -rf bin dist rsrc_windows_*.syso

# ---- bench: wgdesk against wg-quick and plain veth (bench/README.md) ----
# make bench [BENCH_SECONDS=3] [BENCH_RUNS=3] [BENCH_CLIENTS="wgdesk veth"] [BENCH_PROFILE=1] [SAVE=1]
BENCH_SECONDS ?= 10
BENCH_RUNS    ?= 3
BENCH_CLIENTS ?= wgdesk wgquick_debian wgquick_newest veth
SAVE          ?=
BENCH_PROFILE ?=
BENCH_DEBS    := wireguard-go wireguard-tools iproute2 iputils-ping iperf3 jq procps
BENCH_BIN     := bench/.cache/bin
# The wireguard-go our go.mod pins, built from the module proxy into the
# gitignored cache: the same engine as ours without our layers, and the
# server of every tunnel figure (a fast peer, issue 15).
BENCH_WG_VERSION = $(shell awk '$$1 == "golang.zx2c4.com/wireguard" {print $$2}' go.mod)

.PHONY: bench
bench: build
	$(call apt_install,$(BENCH_DEBS))
	@test -x $(BENCH_BIN)/wireguard && grep -qx '$(BENCH_WG_VERSION)' $(BENCH_BIN)/wireguard.version 2>/dev/null || { \
		echo "building wireguard-go $(BENCH_WG_VERSION) into $(BENCH_BIN)"; \
		GOBIN=$(CURDIR)/$(BENCH_BIN) CGO_ENABLED=0 $(GO) install golang.zx2c4.com/wireguard@$(BENCH_WG_VERSION) && \
		echo '$(BENCH_WG_VERSION)' > $(BENCH_BIN)/wireguard.version; }
	CGO_ENABLED=0 $(GO) build -o $(BENCH_BIN)/probe ./bench/probe
	CGO_ENABLED=1 $(GO) build -o $(BENCH_BIN)/fyneref ./bench/fyneref
	$(SUDO) env "PATH=$$PATH" "HOME=$$HOME" BENCH_SECONDS='$(BENCH_SECONDS)' BENCH_RUNS='$(BENCH_RUNS)' \
		BENCH_CLIENTS='$(BENCH_CLIENTS)' BENCH_PROFILE='$(BENCH_PROFILE)' SAVE='$(SAVE)' bench/bench.sh

# ---- soak: the long run of the service's soak test (issue #11) ----
# make test runs TestE2ESoak with 100 up/down cycles; this runs SOAK of
# them (about 5 min for 1,000) against 50 stored tunnels, as root.
SOAK ?= 1000

.PHONY: soak
soak: deps-test
	$(SUDO) env "PATH=$$PATH" "HOME=$$HOME" $(GO) test -count=1 -timeout 3h ./tunnel/e2e -run 'TestE2ESoak$$' -soak=$(SOAK) -v

# ---- screenshots: the README's picture of the tray menu ----
# assets/screenshots/capture-tray.sh runs a real tray host (xfce4-panel's
# systray) on Xvfb, the service inside a network namespace of its own with
# two tunnels, and the app, right-clicks its tray icon and writes
# assets/screenshots/tray-menu.png. The window's picture is made by
# make test-gui (TestSmokeUnderXvfb).
SCREENSHOT_DEBS := xvfb imagemagick dbus libglib2.0-bin xfce4-panel xdotool wireguard-tools iproute2 \
	fonts-dejavu-core adwaita-icon-theme librsvg2-common

.PHONY: screenshots
screenshots: build
	$(call apt_install,$(SCREENSHOT_DEBS))
	$(SUDO) assets/screenshots/capture-tray.sh
