//go:build !linux

package bench

// pressure is Linux's: memory cgroups (pressure_linux.go).
type pressure struct{}
