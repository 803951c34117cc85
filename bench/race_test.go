//go:build race

package bench

// raceEnabled: the tests run under the race detector, whose shadow memory
// adds page faults of its own to a timed loop that touches new memory.
const raceEnabled = true
