"""Merge and deduplicate papers: identifier and fuzzy clustering, stable cord_uids,
harmonised metadata rows. Plain Python, no Beam (see dedup/cluster.py for how the
Beam stage ClusterPapers uses it and how it scales)."""
from dedup.cluster import Cluster, ClusteringResult, Linkage, cluster_records, link_records, make_cluster
from dedup.errors import DedupError, InvalidRecordError, RegistryError
from dedup.features import MatchFeatures, match_features, record_label
from dedup.harmonize import attach_documents, harmonize_cluster, harmonize_members
from dedup.ids import CLUSTER_ID_FIELDS, cluster_ids, identifier_keys
from dedup.registry import Assignment, Registry, assign_cord_uids

__all__ = [
    "CLUSTER_ID_FIELDS",
    "Assignment",
    "Cluster",
    "ClusteringResult",
    "DedupError",
    "InvalidRecordError",
    "Linkage",
    "MatchFeatures",
    "Registry",
    "RegistryError",
    "assign_cord_uids",
    "cluster_ids",
    "cluster_records",
    "attach_documents",
    "harmonize_cluster",
    "harmonize_members",
    "identifier_keys",
    "link_records",
    "make_cluster",
    "match_features",
    "record_label",
]
