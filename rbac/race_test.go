//go:build race

package rbac_test

// raceEnabled: timings under the race detector say nothing about the engine.
const raceEnabled = true
