package check

// Partition lets the incremental Evaluator re-run a check of ScopeCluster for the
// namespaces a change can affect instead of the whole cluster. A check with a Partition
// reports only on namespaced objects and Namespace objects; when the Evaluator re-runs it
// for some namespaces, the Pass says which (Pass.Namespaces), the check may skip the work
// for the others, and their findings are kept from before. A change to a cluster-scoped
// object other than a Namespace, or to one of a kind the partition does not name, re-runs the check over the whole
// cluster.
type Partition struct {
	// Name names the partition in docs and errors.
	Name string
	// Kinds are the kinds (Workloads allowed) whose objects Affected answers for: a change
	// to an object of another kind that the check depends on re-runs it everywhere.
	Kinds []string
	// Affected returns the namespaces besides nss whose findings a change to objects of nss
	// (or to their Namespace objects) can change, as env's inventory stands: the Evaluator
	// asks before the change (env.Before set) and after it, and re-runs the check for both
	// answers and nss. all
	// says every namespace's findings can change.
	Affected func(env Env, nss []string) (affected []string, all bool)
}
