"""Classifying whole collections: ``casus classify`` (inputs, partitions, the work on
one partition, outputs, and the run on processes or a Dask cluster)."""
