package scan

// Rounds exposes the rounds a scan with ReleaseEngines runs checks in.
var Rounds = byEngines
