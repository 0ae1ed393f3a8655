"""Compute engines that run the partitioned analyses: in process (local) or on a Dask cluster."""
