module github.com/wgdesk/wgdesk

go 1.26.0

require (
	github.com/godbus/dbus/v5 v5.2.4 // indirect
	github.com/makiuchi-d/gozxing v0.1.1 // indirect
	github.com/vishvananda/netlink v1.3.1 // indirect
	github.com/vishvananda/netns v0.0.5 // indirect
	golang.org/x/crypto v0.37.0 // indirect
	golang.org/x/image v0.47.0 // indirect
	golang.org/x/net v0.39.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	golang.org/x/xerrors v0.0.0-20200804184101-5ec99f83aff1 // indirect
	golang.zx2c4.com/wintun v0.0.0-20230126152724-0fa3db229ce2 // indirect
	golang.zx2c4.com/wireguard v0.0.0-20260522210424-ecfc5a8d5446 // indirect
	gopkg.in/ini.v1 v1.67.3 // indirect
)
