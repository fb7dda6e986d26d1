package check

// EngineOf returns the engine whose value an inventory memoizes under key (Inventory.Memo,
// Forget), when For made the key.
func EngineOf(key any) (Requirement, bool) {
	k, ok := key.(engineKey)
	if !ok {
		return nil, false
	}
	r, ok := k.e.(Requirement)
	return r, ok
}
