"""Model providers: each turns item fields into class probabilities, with a recorded identity."""
