package platform

// New returns the windows implementation. It is not written yet: Apply and
// Recover fail with an error wrapping errors.ErrUnsupported.
func New(opts Options) (Network, error) {
	return unsupported{os: "windows"}, nil
}
