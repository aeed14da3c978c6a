"""Merge and deduplicate papers: identifier and fuzzy clustering, stable cord_uids,
harmonised metadata rows. Plain Python, no Beam (see dedup/cluster.py for how the
Beam stage ClusterPapers uses it)."""
from dedup.cluster import Cluster, ClusteringResult, cluster_records
from dedup.errors import DedupError, InvalidRecordError, RegistryError
from dedup.harmonize import harmonize_cluster
from dedup.ids import CLUSTER_ID_FIELDS, identifier_keys
from dedup.registry import Assignment, Registry, assign_cord_uids

__all__ = [
    "CLUSTER_ID_FIELDS",
    "Assignment",
    "Cluster",
    "ClusteringResult",
    "DedupError",
    "InvalidRecordError",
    "Registry",
    "RegistryError",
    "assign_cord_uids",
    "cluster_records",
    "harmonize_cluster",
    "identifier_keys",
]
