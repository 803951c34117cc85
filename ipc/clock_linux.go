package ipc

import (
	"os"
	"strings"
)

// clocksourcePath names the kernel's current clock source, which the vDSO
// reads for every clock_gettime: tsc reads the CPU's counter in user space,
// while kvm-clock, hpet or acpi_pm may cost far more (or a system call), and
// that cost is inside every round trip timed alone.
const clocksourcePath = "/sys/devices/system/clocksource/clocksource0/current_clocksource"

// Clocksource returns the current clock source ("tsc"), or "unknown".
func Clocksource() string {
	b, err := os.ReadFile(clocksourcePath)
	if s := strings.TrimSpace(string(b)); err == nil && s != "" {
		return s
	}
	return "unknown"
}
