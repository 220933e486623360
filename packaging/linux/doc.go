// Package linux holds the Linux packages (.deb and .rpm, built by nfpm from
// nfpm.yaml) and their tests, which install the .deb on this machine and
// run it; `make package` and `make test-package` use them. It has no code
// of its own.
package linux
