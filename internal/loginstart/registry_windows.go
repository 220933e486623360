package loginstart

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/windows/registry"
)

// Default is the Run key logic (windows.go) on the real registry.
func Default() Starter {
	exe, err := os.Executable()
	if err != nil {
		return Unavailable("Starting at login is not available: the app cannot tell where its program is (" + err.Error() + ").")
	}
	return winLogin{reg: winRegistry{}, exe: exe, now: time.Now}
}

// winRegistry is registryStore on the registry (the 64-bit view, where
// the MSI writes).
type winRegistry struct{}

func hive(r regRoot) registry.Key {
	if r == hklm {
		return registry.LOCAL_MACHINE
	}
	return registry.CURRENT_USER
}

func absent(err error) bool { return errors.Is(err, registry.ErrNotExist) }

func (winRegistry) String(root regRoot, key, name string) (string, bool, error) {
	k, err := registry.OpenKey(hive(root), key, registry.QUERY_VALUE)
	if absent(err) {
		return "", false, nil
	} else if err != nil {
		return "", false, err
	}
	defer k.Close()
	v, _, err := k.GetStringValue(name)
	if absent(err) {
		return "", false, nil
	}
	return v, err == nil, err
}

func (winRegistry) Binary(root regRoot, key, name string) ([]byte, bool, error) {
	k, err := registry.OpenKey(hive(root), key, registry.QUERY_VALUE)
	if absent(err) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	defer k.Close()
	v, _, err := k.GetBinaryValue(name)
	if absent(err) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (winRegistry) SetString(root regRoot, key, name, v string) error {
	k, _, err := registry.CreateKey(hive(root), key, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	return k.SetStringValue(name, v)
}

func (winRegistry) SetBinary(root regRoot, key, name string, v []byte) error {
	k, _, err := registry.CreateKey(hive(root), key, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	return k.SetBinaryValue(name, v)
}

func (winRegistry) Delete(root regRoot, key, name string) error {
	k, err := registry.OpenKey(hive(root), key, registry.SET_VALUE)
	if absent(err) {
		return nil
	} else if err != nil {
		return err
	}
	defer k.Close()
	if err := k.DeleteValue(name); err != nil && !absent(err) {
		return err
	}
	return nil
}
