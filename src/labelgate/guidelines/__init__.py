"""Guidelines as versioned code: parse, lock released versions, compare versions, render the diff."""
