"""Label-error maths on model probabilities: confident learning, label quality, CROWDLAB."""
